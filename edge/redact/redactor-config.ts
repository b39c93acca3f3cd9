import type { EdgeConfig } from '../config.js';
import type { EvidenceRedactorOptions } from './redactor.js';

/**
 * The manifest id of the small face model to load beside `redaction.faceModel`, or undefined:
 * none configured, or the same model (UltraFace-320 as the face model has no smaller sibling).
 */
export function smallFaceModelId(
  redaction: Pick<EdgeConfig['redaction'], 'faceModel' | 'smallFaceModel'>,
): string | undefined {
  const small = redaction.smallFaceModel;
  return small === 'none' || small === redaction.faceModel ? undefined : small;
}

/** The evidence redactor's options from the edge configuration (redaction.*, evidence.needToKnow). */
export function redactorOptionsFromConfig(
  config: Pick<EdgeConfig, 'redaction' | 'evidence'>,
  personDetectorId: string,
): EvidenceRedactorOptions {
  const r = config.redaction;
  return {
    method: r.method,
    minBlockPx: 6,
    personDetectorId,
    faceMarginRatio: r.faceMarginRatio,
    faceSearch: r.faceSearch,
    tileScale: r.tileScale,
    evidence: {
      cadence: { fullEveryFrames: r.fullSearchEveryFrames, lightEveryFrames: r.lightSearchEveryFrames },
      needToKnow: config.evidence.needToKnow,
    },
  };
}
