import type { NormBox } from '../detect/detection.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import { headRegion } from './head-region.js';
import { pixelateRegion } from './pixelate.js';

/** What redaction did to one image. */
export interface RedactionResult {
  /** A new buffer; the input is never modified, so an unredacted copy cannot be mistaken for this one. */
  readonly rgb: Buffer;
  readonly method: 'pixelate';
  readonly facesFound: number;
  readonly headsMasked: number;
  readonly detectorIds: readonly string[];
}

/** Redacts an image before it leaves the pipeline. Throws EDGE_REDACTION_FAILED rather than return a partial result. */
export interface Redactor {
  redact(rgb: Buffer, widthPx: number, heightPx: number, persons: readonly NormBox[]): RedactionResult;
}

export interface HeadRedactorOptions {
  readonly minBlockPx: number;
  /** The person detector that found the boxes, for the attestation. */
  readonly personDetectorId: string;
}

/**
 * Pixelates the head region of every person box. (The edge issue adds UltraFace-640 face
 * detection on top; until then this head fallback is the only mask.)
 */
export class HeadRegionRedactor implements Redactor {
  readonly #options: HeadRedactorOptions;

  constructor(options: HeadRedactorOptions) {
    this.#options = options;
  }

  redact(rgb: Buffer, widthPx: number, heightPx: number, persons: readonly NormBox[]): RedactionResult {
    if (rgb.length !== widthPx * heightPx * 3) {
      throw new EdgeError(
        EdgeErrorCode.REDACTION_FAILED,
        `image has ${rgb.length} bytes, expected ${widthPx}x${heightPx}x3`,
      );
    }
    const out = Buffer.from(rgb);
    try {
      for (const person of persons)
        pixelateRegion(out, widthPx, heightPx, headRegion(person), this.#options.minBlockPx);
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.REDACTION_FAILED, `pixelation failed: ${errorMessage(err)}`, { cause: err });
    }
    return {
      rgb: out,
      method: 'pixelate',
      facesFound: 0,
      headsMasked: persons.length,
      detectorIds: [this.#options.personDetectorId],
    };
  }
}
