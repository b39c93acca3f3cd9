import { randomUUID } from 'node:crypto';
import type { ModelRef } from '../../proto/index.js';
import type { Detector } from '../detect/detection.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { FrameSource } from '../frames/frame.js';
import type { Logger } from '../logger.js';
import type { Redactor } from '../redact/redactor.js';
import { buildInfractionEvent, signEvent } from '../publish/event-builder.js';
import type { DeviceKey } from '../publish/device-key.js';
import type { EventPublisher } from '../publish/publisher.js';
import type { FileSequencer } from '../publish/sequencer.js';
import { EMPTY_RULE_STATE, applyEntryRule } from '../rule/entry-rule.js';
import type { CrosswalkZone, EntryDecision, EntryOutcome, RuleOptions } from '../rule/entry-rule.js';
import type { SignalSource } from '../signal/signal.js';
import { EMPTY_TRACKER, updateTracker } from '../track/tracker.js';
import type { Track, TrackerOptions } from '../track/tracker.js';
import { FrameRing } from './frame-ring.js';
import type { DetectedFrame } from './frame-ring.js';
import { writeEvidence } from './evidence-writer.js';

export interface CameraPipelineDeps {
  readonly deviceId: string;
  readonly siteId: string;
  readonly cameraId: string;
  readonly zone: CrosswalkZone;
  readonly source: FrameSource;
  readonly detector: Detector;
  readonly signal: SignalSource;
  readonly redactor: Redactor;
  readonly publisher: EventPublisher;
  readonly sequencer: FileSequencer;
  readonly deviceKey: DeviceKey;
  readonly models: readonly ModelRef[];
  readonly edgeSoftwareVersion: string;
  readonly rule: RuleOptions;
  readonly tracker: TrackerOptions;
  readonly jpegQuality: number;
  readonly logger: Logger;
}

/** What one run of a camera pipeline did. */
export interface PipelineSummary {
  frames: number;
  detectorCalls: number;
  /** Frames dropped because detection failed on them. */
  framesSkipped: number;
  tracksStarted: number;
  decisions: Record<EntryOutcome, number>;
  eventsPublished: number;
  evidenceWithheld: number;
}

function emptySummary(): PipelineSummary {
  return {
    frames: 0,
    detectorCalls: 0,
    framesSkipped: 0,
    tracksStarted: 0,
    decisions: { infraction: 0, lawful_walk: 0, lawful_flashing: 0, lawful_within_grace: 0, signal_dark: 0 },
    eventsPublished: 0,
    evidenceWithheld: 0,
  };
}

async function publishInfraction(
  deps: CameraPipelineDeps,
  decision: EntryDecision,
  track: Track,
  keyframes: { role: string; frame: DetectedFrame }[],
): Promise<{ eventId: string; withheld: boolean }> {
  const eventId = randomUUID();
  const target = { siteId: deps.siteId, cameraId: deps.cameraId, eventId };
  let withheldReason: string | undefined;
  let evidence: Awaited<ReturnType<typeof writeEvidence>> = [];
  try {
    if (keyframes.length === 0)
      throw new EdgeError(EdgeErrorCode.REDACTION_FAILED, 'the decision frames are no longer held');
    evidence = await writeEvidence(keyframes, target, deps.redactor, deps.publisher, deps.jpegQuality);
  } catch (err) {
    if (!(err instanceof EdgeError) || err.code !== EdgeErrorCode.REDACTION_FAILED) throw err;
    withheldReason = err.message;
    deps.logger.error({ err, eventId }, 'evidence withheld: redaction failed');
  }
  const cameraSeq = await deps.sequencer.next();
  const unsigned = buildInfractionEvent(
    {
      ...target,
      deviceId: deps.deviceId,
      cameraSeq,
      zoneVersion: deps.zone.version,
      zonePolygon: deps.zone.polygon,
      models: deps.models,
      edgeSoftwareVersion: deps.edgeSoftwareVersion,
    },
    decision,
    track,
    evidence,
    withheldReason,
  );
  await deps.publisher.publishEvent(signEvent(unsigned, deps.deviceKey));
  return { eventId, withheld: withheldReason !== undefined };
}

/** Runs one camera until its source ends: detect, track, apply the rule, publish infractions. */
export async function runCameraPipeline(deps: CameraPipelineDeps): Promise<PipelineSummary> {
  const summary = emptySummary();
  const ring = new FrameRing(64);
  let tracker = EMPTY_TRACKER;
  let ruleState = EMPTY_RULE_STATE;
  const signalAt = (atMs: number): ReturnType<SignalSource['readingAt']> => deps.signal.readingAt(atMs);
  for await (const frame of deps.source) {
    summary.frames += 1;
    let detections;
    try {
      detections = await deps.detector.detect(frame.rgb, frame.widthPx, frame.heightPx);
      summary.detectorCalls += 1;
    } catch (err) {
      summary.framesSkipped += 1;
      deps.logger.error({ err, frameIndex: frame.index }, 'frame skipped: detection failed');
      continue;
    }
    ring.push({ frame, detections });
    const before = tracker.nextId;
    tracker = updateTracker(tracker, detections, frame.capturedAtMs, deps.tracker);
    summary.tracksStarted += tracker.nextId - before;
    const applied = applyEntryRule(ruleState, tracker.tracks, deps.zone, signalAt, deps.rule);
    ruleState = applied.state;
    for (const decision of applied.decisions) {
      summary.decisions[decision.outcome] += 1;
      deps.logger.info(
        { trackId: decision.trackId, outcome: decision.outcome, signal: decision.signal.aspect },
        'entry decided',
      );
      if (decision.outcome !== 'infraction') continue;
      const track = tracker.tracks.find((t) => t.id === decision.trackId)!;
      const keyframes = [
        { role: 'entry', frame: ring.at(decision.entry.capturedAtMs) },
        { role: 'decision', frame: ring.at(decision.decidedAt.capturedAtMs) },
      ].filter((k): k is { role: string; frame: DetectedFrame } => k.frame !== undefined);
      try {
        const { eventId, withheld } = await publishInfraction(deps, decision, track, keyframes);
        summary.eventsPublished += 1;
        if (withheld) summary.evidenceWithheld += 1;
        deps.logger.info({ eventId, trackId: track.id, frameIndex: frame.index }, 'infraction published');
      } catch (err) {
        deps.logger.error({ err, trackId: track.id }, `infraction not published: ${errorMessage(err)}`);
      }
    }
  }
  return summary;
}
