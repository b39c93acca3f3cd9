import type { EvidenceRef, ModelRef, RedactionAttestation } from '../../proto/index.js';
import { evidenceObjectKey } from '../../proto/index.js';
import { EdgeError, EdgeErrorCode } from '../errors.js';
import { encodeClip } from '../evidence/clip.js';
import { encodeJpeg } from '../evidence/keyframe.js';
import { planEvidence } from '../evidence/plan.js';
import type { EvidenceWindow } from '../evidence/plan.js';
import type { RedactionResult } from '../redact/redactor.js';
import type { EventPublisher } from '../publish/publisher.js';
import type { DetectedFrame } from './frame-ring.js';

export interface EvidenceTarget {
  readonly siteId: string;
  readonly cameraId: string;
  readonly eventId: string;
}

export interface WrittenEvidence {
  readonly refs: EvidenceRef[];
  readonly attestation: RedactionAttestation;
}

function clipFps(times: readonly number[]): number {
  if (times.length < 2) return 1;
  const spanMs = times[times.length - 1]! - times[0]!;
  return Math.max(1, Math.round(((times.length - 1) * 1000) / Math.max(1, spanMs)));
}

function attest(
  results: readonly RedactionResult[],
  method: string,
  detectors: readonly ModelRef[],
): RedactionAttestation {
  return {
    method,
    frames: results.length,
    facesFound: results.reduce((n, r) => n + r.facesFound, 0),
    headsMasked: results.reduce((n, r) => n + r.headsMasked, 0),
    detectors: [...detectors],
    residualFacesFilled: results.reduce((n, r) => n + r.residualFacesFilled, 0),
    ...modesOf(results),
    framesSearched: results.filter((r) => r.search !== 'none').length,
  };
}

/** The redaction mode and face search of frames; mixed ones are listed joined by "+". */
function modesOf(results: readonly RedactionResult[]): { mode: string; faceSearch: string } {
  const join = (values: readonly string[]): string => [...new Set(values)].sort().join('+');
  return { mode: join(results.map((r) => r.mode)), faceSearch: join(results.map((r) => r.faceSearch)) };
}

/**
 * Encodes and stores the evidence of one entry (keyframes and clip) from frames that were all
 * redacted before this is called; only redacted pixels reach an encoder. A planned frame
 * without a redaction is EDGE_REDACTION_FAILED, and nothing is stored (fail closed).
 */
export async function writeEvidence(
  held: readonly DetectedFrame[],
  redacted: ReadonlyMap<number, RedactionResult>,
  decision: { readonly entryMs: number; readonly decidedMs: number },
  target: EvidenceTarget,
  deps: {
    readonly publisher: EventPublisher;
    readonly jpegQuality: number;
    readonly window: EvidenceWindow;
    readonly detectors: readonly ModelRef[];
  },
): Promise<WrittenEvidence> {
  const times = held.map((f) => f.frame.capturedAtMs);
  const plan = planEvidence(times, decision.entryMs, decision.decidedMs, deps.window);
  const missing = [...plan.keyframes.map((k) => k.atMs), ...plan.clip].filter((t) => !redacted.has(t));
  if (missing.length > 0)
    throw new EdgeError(EdgeErrorCode.REDACTION_FAILED, `${missing.length} evidence frames were not redacted`);
  const { widthPx, heightPx } = held[0]!.frame;
  const key = (name: string): string => evidenceObjectKey(target.siteId, target.cameraId, target.eventId, name);
  const summaryOf = (r: RedactionResult): EvidenceRef['redaction'] => ({
    method: r.method,
    facesFound: r.facesFound,
    headsMasked: r.headsMasked,
    detectorIds: [...r.detectorIds],
    residualFacesFilled: r.residualFacesFilled,
    mode: r.mode,
    faceSearch: r.faceSearch,
  });
  const refs: EvidenceRef[] = [];
  for (const { role, atMs } of plan.keyframes) {
    const result = redacted.get(atMs)!;
    const image = await encodeJpeg(result.rgb, widthPx, heightPx, deps.jpegQuality);
    const objectKey = key(`${role}.jpg`);
    await deps.publisher.putEvidence(objectKey, image.bytes, image.mediaType);
    refs.push({
      objectKey,
      sha256Hex: image.sha256Hex,
      mediaType: image.mediaType,
      sizeBytes: image.bytes.length,
      widthPx,
      heightPx,
      frameCapturedAtMs: atMs,
      redaction: summaryOf(result),
      role,
      clipEndCapturedAtMs: 0,
      clipFrames: 0,
    });
  }
  const clipResults = plan.clip.map((t) => redacted.get(t)!);
  const method = [...redacted.values()][0]?.method ?? '';
  if (plan.clip.length >= 2) {
    const clip = await encodeClip(
      clipResults.map((r) => r.rgb),
      widthPx,
      heightPx,
      clipFps(plan.clip),
    );
    const objectKey = key('clip.webm');
    await deps.publisher.putEvidence(objectKey, clip.bytes, clip.mediaType);
    const clipAttestation = attest(clipResults, method, deps.detectors);
    refs.push({
      objectKey,
      sha256Hex: clip.sha256Hex,
      mediaType: clip.mediaType,
      sizeBytes: clip.bytes.length,
      widthPx,
      heightPx,
      frameCapturedAtMs: plan.clip[0]!,
      redaction: {
        method,
        facesFound: clipAttestation.facesFound,
        headsMasked: clipAttestation.headsMasked,
        detectorIds: deps.detectors.map((d) => d.modelId),
        residualFacesFilled: clipAttestation.residualFacesFilled,
        mode: clipAttestation.mode,
        faceSearch: clipAttestation.faceSearch,
      },
      role: 'clip',
      clipEndCapturedAtMs: plan.clip[plan.clip.length - 1]!,
      clipFrames: plan.clip.length,
    });
  }
  const used = new Set([...plan.keyframes.map((k) => k.atMs), ...plan.clip]);
  const usedResults = [...used].map((t) => redacted.get(t)!);
  return { refs, attestation: attest(usedResults, method, deps.detectors) };
}
