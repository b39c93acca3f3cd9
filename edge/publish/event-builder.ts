import {
  ClockSyncState,
  ENTRY_INFRACTION_KIND,
  EvidenceStatus,
  InfractionEvent,
  SignalSourceKind,
  SignalState,
  eventSigningBytes,
} from '../../proto/index.js';
import type { ClockSync, EvidenceRef, ModelRef, RedactionAttestation, SignalSnapshot } from '../../proto/index.js';
import type { EntryDecision } from '../rule/entry-rule.js';
import type { ClockReading, SignalAspect, SignalReading } from '../signal/signal.js';
import type { Track } from '../track/tracker.js';
import type { DeviceKey } from './device-key.js';

const ASPECT_TO_STATE: Record<SignalAspect, SignalState> = {
  walk: SignalState.SIGNAL_STATE_WALK,
  flashing_dont_walk: SignalState.SIGNAL_STATE_FLASHING_DONT_WALK,
  steady_dont_walk: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
  dark: SignalState.SIGNAL_STATE_DARK,
};

const CLOCK_STATES: Record<ClockReading['state'], ClockSyncState> = {
  synced: ClockSyncState.CLOCK_SYNC_STATE_SYNCED,
  unsynced: ClockSyncState.CLOCK_SYNC_STATE_UNSYNCED,
  unknown: ClockSyncState.CLOCK_SYNC_STATE_UNKNOWN,
};

export function toClockSync(clock: ClockReading): ClockSync {
  return { state: CLOCK_STATES[clock.state], offsetMs: clock.offsetMs, reference: clock.reference };
}

export function toSignalSnapshot(reading: SignalReading): SignalSnapshot {
  return {
    state: ASPECT_TO_STATE[reading.aspect],
    stateBeganAtMs: reading.aspectBeganAtMs,
    msSinceSteadyDontWalk: reading.msSinceSteadyDontWalk,
    source:
      reading.source === 'schedule_file'
        ? SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE
        : SignalSourceKind.SIGNAL_SOURCE_KIND_CONTROLLER_FEED,
    sourceId: reading.sourceId,
    readAtMs: reading.readAtMs,
  };
}

/** Confidence parts in [0,1]: how sure the detector was, and how long the track is. */
export function confidenceOf(track: Track): { value: number; parts: { name: string; value: number }[] } {
  const scores = track.history.map((p) => p.score);
  const detection = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
  const tracking = Math.min(1, track.history.length / 10);
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    value: round(Math.min(detection, tracking)),
    parts: [
      { name: 'detection', value: round(detection) },
      { name: 'tracking', value: round(tracking) },
    ],
  };
}

export interface EventContext {
  readonly eventId: string;
  readonly deviceId: string;
  readonly siteId: string;
  readonly cameraId: string;
  readonly cameraSeq: number;
  readonly zoneVersion: number;
  /** The zone polygon the rule tested, normalised [x, y]. */
  readonly zonePolygon: readonly (readonly [number, number])[];
  readonly models: readonly ModelRef[];
  readonly edgeSoftwareVersion: string;
  /** SHA-256 (hex) of the device configuration in force. */
  readonly configSha256: string;
}

/** The evidence of one event as it was written, or why it was withheld. */
export interface EventEvidence {
  readonly refs: readonly EvidenceRef[];
  readonly attestation?: RedactionAttestation;
  readonly withheldReason?: string;
  /** Why, as a status: redaction failed (the default) or the camera's evidence queue was full. */
  readonly withheldBecause?: 'redaction_failed' | 'queue_full';
}

/** Builds the unsigned event for a decided infraction. Pure. */
export function buildInfractionEvent(
  context: EventContext,
  decision: EntryDecision,
  track: Track,
  evidence: EventEvidence,
): InfractionEvent {
  const evidenceWithheldReason = evidence.withheldReason;
  return InfractionEvent.fromPartial({
    eventId: context.eventId,
    deviceId: context.deviceId,
    siteId: context.siteId,
    cameraId: context.cameraId,
    cameraSeq: context.cameraSeq,
    occurredAtMs: decision.entry.capturedAtMs,
    signal: toSignalSnapshot(decision.signal),
    zoneId: decision.zoneId,
    zoneVersion: context.zoneVersion,
    zonePolygon: context.zonePolygon.map(([x, y]) => ({ x, y })),
    track: {
      trackId: track.id,
      observations: track.history.map((p) => ({ capturedAtMs: p.capturedAtMs, box: p.box, score: p.score })),
    },
    confidence: confidenceOf(track),
    evidence: [...evidence.refs],
    evidenceStatus:
      evidenceWithheldReason === undefined
        ? EvidenceStatus.EVIDENCE_STATUS_PUBLISHED
        : evidence.withheldBecause === 'queue_full'
          ? EvidenceStatus.EVIDENCE_STATUS_WITHHELD_QUEUE_FULL
          : EvidenceStatus.EVIDENCE_STATUS_WITHHELD_REDACTION_FAILED,
    evidenceStatusDetail: evidenceWithheldReason ?? '',
    models: [...context.models],
    edgeSoftwareVersion: context.edgeSoftwareVersion,
    infractionKind: ENTRY_INFRACTION_KIND,
    enforcement: { suspended: decision.suspendedReasons.length > 0, reasonCodes: [...decision.suspendedReasons] },
    clock: toClockSync(decision.signal.clock),
    configSha256: context.configSha256,
    redaction: evidence.attestation,
  });
}

/** Returns the event with the device's Ed25519 signature over its signing bytes. */
export function signEvent(event: InfractionEvent, key: DeviceKey): InfractionEvent {
  const signature = key.sign(eventSigningBytes(event));
  return { ...event, signature: { algorithm: 'ed25519', keyId: key.keyId, signature } };
}
