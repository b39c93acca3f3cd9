import type { EvidenceRef } from '../../proto/index.js';
import { evidenceObjectKey } from '../../proto/index.js';
import { encodeJpeg } from '../evidence/keyframe.js';
import type { Redactor } from '../redact/redactor.js';
import type { EventPublisher } from '../publish/publisher.js';
import type { DetectedFrame } from './frame-ring.js';

export interface EvidenceTarget {
  readonly siteId: string;
  readonly cameraId: string;
  readonly eventId: string;
}

/**
 * Redacts, encodes and stores each keyframe. Redaction runs before anything is encoded,
 * and a redaction error propagates: the caller publishes the event without evidence.
 */
export async function writeEvidence(
  keyframes: readonly { role: string; frame: DetectedFrame }[],
  target: EvidenceTarget,
  redactor: Redactor,
  publisher: EventPublisher,
  jpegQuality: number,
): Promise<EvidenceRef[]> {
  // Every frame is redacted before anything is encoded or stored: one failure stores nothing.
  const redacted = [];
  for (const {
    role,
    frame: { frame, detections },
  } of keyframes) {
    const persons = detections.filter((d) => d.classId === 0).map((d) => d.box);
    redacted.push({ role, frame, result: await redactor.redact(frame.rgb, frame.widthPx, frame.heightPx, persons) });
  }
  const refs: EvidenceRef[] = [];
  for (const { role, frame, result } of redacted) {
    const image = await encodeJpeg(result.rgb, frame.widthPx, frame.heightPx, jpegQuality);
    const objectKey = evidenceObjectKey(target.siteId, target.cameraId, target.eventId, `${role}.jpg`);
    await publisher.putEvidence(objectKey, image.bytes, image.mediaType);
    refs.push({
      objectKey,
      sha256Hex: image.sha256Hex,
      mediaType: image.mediaType,
      sizeBytes: image.bytes.length,
      widthPx: image.widthPx,
      heightPx: image.heightPx,
      frameCapturedAtMs: frame.capturedAtMs,
      redaction: {
        method: result.method,
        facesFound: result.facesFound,
        headsMasked: result.headsMasked,
        detectorIds: [...result.detectorIds],
      },
      role,
    });
  }
  return refs;
}
