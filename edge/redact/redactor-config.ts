import type { EdgeConfig } from '../config.js';
import type { EvidenceRedactorOptions } from './redactor.js';

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
