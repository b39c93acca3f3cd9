import type { NormBox } from '../detect/detection.js';
import type { FaceDetector } from '../detect/face-detector.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import { headRegion } from './head-region.js';
import { fillRegion, pixelateRegion } from './pixelate.js';

export type RedactionMethod = 'pixelate' | 'solid';

/** What redaction did to one image. */
export interface RedactionResult {
  /** A new buffer; the input is never modified, so an unredacted copy cannot be mistaken for this one. */
  readonly rgb: Buffer;
  readonly method: RedactionMethod;
  readonly facesFound: number;
  readonly headsMasked: number;
  /** Faces the detector still found in the masked image, filled solid (a mosaic that still reads as a face). */
  readonly residualFacesFilled: number;
  readonly detectorIds: readonly string[];
}

/** Redacts an image before it leaves the pipeline. Throws EDGE_REDACTION_FAILED rather than return a partial result. */
export interface Redactor {
  redact(rgb: Buffer, widthPx: number, heightPx: number, persons: readonly NormBox[]): Promise<RedactionResult>;
}

export interface EvidenceRedactorOptions {
  readonly method: RedactionMethod;
  readonly minBlockPx: number;
  /** The person detector that found the boxes, for the attestation. */
  readonly personDetectorId: string;
  /** Face boxes are widened by this fraction of their size on every side (hair, ears, chin). */
  readonly faceMarginRatio: number;
}

function widen(box: NormBox, ratio: number): NormBox {
  const dx = (box.x2 - box.x1) * ratio;
  const dy = (box.y2 - box.y1) * ratio;
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  return { x1: clamp(box.x1 - dx), y1: clamp(box.y1 - dy), x2: clamp(box.x2 + dx), y2: clamp(box.y2 + dy) };
}

/**
 * Masks every face the face detector finds, and the head region of every person box as a
 * fallback for faces it misses, then looks again and fills solid any face still found. Without
 * a face detector only the head fallback runs.
 * Any failure is EDGE_REDACTION_FAILED: the caller then publishes no evidence (fail closed).
 */
export class EvidenceRedactor implements Redactor {
  readonly #options: EvidenceRedactorOptions;
  readonly #faces: FaceDetector | undefined;

  constructor(options: EvidenceRedactorOptions, faces?: FaceDetector) {
    this.#options = options;
    this.#faces = faces;
  }

  async redact(rgb: Buffer, widthPx: number, heightPx: number, persons: readonly NormBox[]): Promise<RedactionResult> {
    if (rgb.length !== widthPx * heightPx * 3) {
      throw new EdgeError(
        EdgeErrorCode.REDACTION_FAILED,
        `image has ${rgb.length} bytes, expected ${widthPx}x${heightPx}x3`,
      );
    }
    try {
      const faces = this.#faces ? await this.#faces.detectFaces(rgb, widthPx, heightPx) : [];
      // A copy, never the frame itself, in shared memory like the frames: V8 does not count
      // shared buffers as external memory, so the ~35 redacted frames an event holds do not set
      // off full collections on the event loop (plain buffers did, several per event).
      // (Buffer.from on a shared frame copies byte by byte, about 5x slower than copy().)
      const out = Buffer.from(new SharedArrayBuffer(rgb.length));
      rgb.copy(out);
      const regions = [...faces.map((f) => widen(f.box, this.#options.faceMarginRatio)), ...persons.map(headRegion)];
      for (const region of regions) {
        if (this.#options.method === 'solid') fillRegion(out, widthPx, heightPx, region);
        else pixelateRegion(out, widthPx, heightPx, region, this.#options.minBlockPx);
      }
      // A second look at what would leave the device: a mosaic of a small head can still read
      // as a face (UltraFace scored some at 0.5), and whatever does is filled solid.
      const residual = this.#faces ? await this.#faces.detectFaces(out, widthPx, heightPx) : [];
      for (const face of residual) fillRegion(out, widthPx, heightPx, widen(face.box, this.#options.faceMarginRatio));
      return {
        rgb: out,
        method: this.#options.method,
        facesFound: faces.length,
        headsMasked: persons.length,
        residualFacesFilled: residual.length,
        detectorIds: this.#faces
          ? [this.#faces.model.id, this.#options.personDetectorId]
          : [this.#options.personDetectorId],
      };
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.REDACTION_FAILED, `redaction failed: ${errorMessage(err)}`, { cause: err });
    }
  }
}
