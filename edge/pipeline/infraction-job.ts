import { randomUUID } from 'node:crypto';
import type { ModelRef } from '../../proto/index.js';
import { EdgeError, EdgeErrorCode } from '../errors.js';
import type { EvidenceWindow } from '../evidence/plan.js';
import type { Redactor } from '../redact/redactor.js';
import { buildInfractionEvent, signEvent } from '../publish/event-builder.js';
import type { EventEvidence } from '../publish/event-builder.js';
import type { DeviceKey } from '../publish/device-key.js';
import type { EventPublisher } from '../publish/publisher.js';
import type { FileSequencer } from '../publish/sequencer.js';
import type { CrosswalkZone, EntryDecision } from '../rule/entry-rule.js';
import type { Track } from '../track/tracker.js';
import type { EvidenceJob } from './evidence-job.js';
import { writeEvidence } from './evidence-writer.js';

/** What publishing an infraction needs, fixed for a camera. */
export interface InfractionPublishDeps {
  readonly deviceId: string;
  readonly siteId: string;
  readonly cameraId: string;
  readonly zone: CrosswalkZone;
  readonly redactor: Redactor;
  readonly publisher: EventPublisher;
  readonly sequencer: FileSequencer;
  readonly deviceKey: DeviceKey;
  readonly models: readonly ModelRef[];
  readonly edgeSoftwareVersion: string;
  readonly configSha256: string;
  readonly jpegQuality: number;
  readonly window: EvidenceWindow;
}

async function evidenceFor(pending: EvidenceJob, deps: InfractionPublishDeps, eventId: string): Promise<EventEvidence> {
  const { decision } = pending;
  try {
    if (!pending.frames.some((f) => f.frame.capturedAtMs === decision.entry.capturedAtMs))
      throw new EdgeError(EdgeErrorCode.REDACTION_FAILED, 'the entry frame is no longer held');
    const written = await writeEvidence(
      pending.frames,
      await pending.redacted(),
      { entryMs: decision.entry.capturedAtMs, decidedMs: decision.decidedAt.capturedAtMs },
      { siteId: deps.siteId, cameraId: deps.cameraId, eventId },
      {
        publisher: deps.publisher,
        jpegQuality: deps.jpegQuality,
        window: deps.window,
        detectors: deps.models,
      },
    );
    return written;
  } catch (err) {
    if (!(err instanceof EdgeError) || err.code !== EdgeErrorCode.REDACTION_FAILED) throw err;
    return { refs: [], withheldReason: err.message, withheldBecause: 'redaction_failed' };
  }
}

/** An infraction to publish: its evidence job, or why its evidence was never collected. */
export interface InfractionToPublish {
  readonly decision: EntryDecision;
  /** The track as it stood at the decision. */
  readonly track: Track;
  readonly evidence: EvidenceJob | { readonly queueFull: string };
}

/**
 * Redacts and stores the evidence, then signs and publishes the event. A redaction failure
 * publishes the event without evidence and says why (fail closed); so does an infraction whose
 * evidence the full queue refused. Any other failure throws.
 */
export async function publishInfraction(
  pending: InfractionToPublish,
  deps: InfractionPublishDeps,
): Promise<{ eventId: string; withheldReason?: string; withheldBecause?: EventEvidence['withheldBecause'] }> {
  const eventId = randomUUID();
  const evidence: EventEvidence =
    'queueFull' in pending.evidence
      ? { refs: [], withheldReason: pending.evidence.queueFull, withheldBecause: 'queue_full' }
      : await evidenceFor(pending.evidence, deps, eventId);
  const cameraSeq = await deps.sequencer.next();
  const unsigned = buildInfractionEvent(
    {
      eventId,
      deviceId: deps.deviceId,
      siteId: deps.siteId,
      cameraId: deps.cameraId,
      cameraSeq,
      zoneVersion: deps.zone.version,
      zonePolygon: deps.zone.polygon,
      models: deps.models,
      edgeSoftwareVersion: deps.edgeSoftwareVersion,
      configSha256: deps.configSha256,
    },
    pending.decision,
    pending.track,
    evidence,
  );
  await deps.publisher.publishEvent(signEvent(unsigned, deps.deviceKey));
  return { eventId, withheldReason: evidence.withheldReason, withheldBecause: evidence.withheldBecause };
}
