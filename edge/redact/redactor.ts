import type { NormBox } from '../detect/detection.js';
import type { FaceDetector } from '../detect/face-detector.js';
import { MAX_FACE_WINDOWS } from '../detect/face-windows.js';
import type { FaceWindow } from '../detect/face-windows.js';
import type { FaceBox } from '../detect/ultraface.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { EvidenceRedactionPolicy } from './evidence-sequence.js';
import { clampBox, intersect, planFaceWindows, widenBox } from './face-plan.js';
import type { FacePlanOptions, FaceSearch } from './face-plan.js';
import { headRegion } from './head-region.js';
import { needToKnowBlockPx, pixelateOutside } from './need-to-know.js';
import { fillRegion, pixelateRegion } from './pixelate.js';

export type RedactionMethod = 'pixelate' | 'solid';
/** "standard": faces and heads masked; "need-to-know": also everything outside the zone and the offender, coarsely. */
export type RedactionMode = 'standard' | 'need-to-know';
/** How faces are looked for: enlarged windows and tiles ("multi-scale"), or the frame once at model size ("whole-frame", the earlier path). */
export type FaceSearchMethod = 'multi-scale' | 'whole-frame';

/** What the caller knows about one frame beyond its person boxes. */
export interface FrameRedaction {
  /** How much face search this frame gets; default "full". */
  readonly search?: FaceSearch;
  /** Masks of faces found on earlier frames and carried to this one. */
  readonly carriedFaces?: readonly NormBox[];
  /** Need-to-know: only these regions stay sharp; everything else is pixelated coarsely. */
  readonly keep?: readonly NormBox[];
  /** Look again at the masked regions after a full search; default true. */
  readonly secondLook?: boolean;
}

/** What redaction did to one image. */
export interface RedactionResult {
  /** A new buffer; the input is never modified, so an unredacted copy cannot be mistaken for this one. */
  readonly rgb: Buffer;
  readonly method: RedactionMethod;
  readonly mode: RedactionMode;
  readonly faceSearch: FaceSearchMethod;
  readonly facesFound: number;
  readonly headsMasked: number;
  /** Faces the detector still found in the masked image, filled solid (a mosaic that still reads as a face). */
  readonly residualFacesFilled: number;
  readonly detectorIds: readonly string[];
  /** The face search this frame had. */
  readonly search: FaceSearch;
  /** Faces found on this frame (before widening), for carrying to the next frames. */
  readonly faceBoxes: readonly NormBox[];
}

/** Redacts an image before it leaves the pipeline. Throws EDGE_REDACTION_FAILED rather than return a partial result. */
export interface Redactor {
  /** How an event's evidence frames are searched and kept; absent: DEFAULT_EVIDENCE_POLICY. */
  readonly evidencePolicy?: EvidenceRedactionPolicy;
  redact(
    rgb: Buffer,
    widthPx: number,
    heightPx: number,
    persons: readonly NormBox[],
    frame?: FrameRedaction,
  ): Promise<RedactionResult>;
}

export interface EvidenceRedactorOptions {
  readonly method: RedactionMethod;
  readonly minBlockPx: number;
  /** The person detector that found the boxes, for the attestation. */
  readonly personDetectorId: string;
  /** Face boxes are widened by this fraction of their size on every side (hair, ears, chin). */
  readonly faceMarginRatio: number;
  /** Default "multi-scale". */
  readonly faceSearch?: FaceSearchMethod;
  /** Enlargement of the tiled pass; default 2 (faces of 10 px looked for at 20 px). */
  readonly tileScale?: number;
  /** Model pixels shared by neighbouring tiles (faces up to this size are whole in one); default 96. */
  readonly tileOverlapPx?: number;
  /** Evidence cadence and need-to-know; default DEFAULT_EVIDENCE_POLICY. */
  readonly evidence?: EvidenceRedactionPolicy;
}

/**
 * Every face mask is also widened by this many pixels on every side: a box found for a 10 px
 * face is a few pixels off, and what it misses (an eye) was enough for another detector.
 */
const MIN_FACE_MARGIN_PX = 4;

/** A masked region is looked at again enlarged so it spans about this many model pixels. */
const RESIDUAL_TARGET_PX = 64;
const MAX_RESIDUAL_SCALE = 4;

/**
 * Masks every face the face detector finds, and the head region of every person box as a
 * fallback for faces it misses, then looks again at the masked regions and fills solid any
 * face still found. The search ("multi-scale") covers each person's upper box enlarged, the
 * frame at up to 1x and, on a "full" search, the frame in overlapping tiles at 2x, so faces
 * down to about 10 px are found; windows that will be masked anyway are skipped. In
 * need-to-know mode (`keep` given) everything outside `keep` is pixelated in blocks of 1/20
 * of the frame width, whatever any detector found, and faces are looked for only inside.
 * Without a face detector only the head fallback (and need-to-know) runs.
 * Any failure is EDGE_REDACTION_FAILED: the caller then publishes no evidence (fail closed).
 */
export class EvidenceRedactor implements Redactor {
  readonly #options: EvidenceRedactorOptions;
  readonly #faces: FaceDetector | undefined;

  constructor(options: EvidenceRedactorOptions, faces?: FaceDetector) {
    this.#options = options;
    this.#faces = faces;
  }

  get evidencePolicy(): EvidenceRedactionPolicy | undefined {
    return this.#options.evidence;
  }

  get faceSearch(): FaceSearchMethod {
    return this.#options.faceSearch ?? 'multi-scale';
  }

  async redact(
    rgb: Buffer,
    widthPx: number,
    heightPx: number,
    persons: readonly NormBox[],
    frame: FrameRedaction = {},
  ): Promise<RedactionResult> {
    if (rgb.length !== widthPx * heightPx * 3) {
      throw new EdgeError(
        EdgeErrorCode.REDACTION_FAILED,
        `image has ${rgb.length} bytes, expected ${widthPx}x${heightPx}x3`,
      );
    }
    const search = frame.search ?? 'full';
    const keep = frame.keep?.map(clampBox);
    try {
      const heads = persons.map(headRegion);
      const carried = frame.carriedFaces ?? [];
      const faces = await this.#search(rgb, widthPx, heightPx, persons, [...heads, ...carried], search, keep);
      // A copy, never the frame itself, in shared memory like the frames: V8 does not count
      // shared buffers as external memory, so the ~35 redacted frames an event holds do not set
      // off full collections on the event loop (plain buffers did, several per event).
      // (Buffer.from on a shared frame copies byte by byte, about 5x slower than copy().)
      const out = Buffer.from(new SharedArrayBuffer(rgb.length));
      rgb.copy(out);
      if (keep)
        pixelateOutside(out, widthPx, heightPx, keep, Math.max(this.#options.minBlockPx, needToKnowBlockPx(widthPx)));
      const faceMask = (box: NormBox): NormBox => this.#faceMask(box, widthPx, heightPx);
      const regions = [...faces.map((f) => faceMask(f.box)), ...heads, ...carried];
      const relevant = keep ? regions.filter((r) => keep.some((k) => intersect(r, k))) : regions;
      for (const region of relevant) {
        if (this.#options.method === 'solid') fillRegion(out, widthPx, heightPx, region);
        else pixelateRegion(out, widthPx, heightPx, region, this.#options.minBlockPx);
      }
      // A second look at what would leave the device: a mosaic of a small head can still read
      // as a face (UltraFace scored some at 0.5), and whatever does is filled solid.
      // (After full searches only, and in a sequence on keyframes only: what was filled is
      // carried to the next frames like any face.)
      const secondLook = search === 'full' && (frame.secondLook ?? true);
      const residual = secondLook ? await this.#residual(out, widthPx, heightPx, relevant) : [];
      for (const face of residual)
        fillRegion(out, widthPx, heightPx, widenBox(face.box, this.#options.faceMarginRatio));
      return {
        rgb: out,
        method: this.#options.method,
        mode: keep ? 'need-to-know' : 'standard',
        faceSearch: this.faceSearch,
        facesFound: faces.length,
        headsMasked: persons.length,
        residualFacesFilled: residual.length,
        detectorIds: this.#faces
          ? [
              this.#faces.model.id,
              ...(this.#faces.smallModel ? [this.#faces.smallModel.id] : []),
              this.#options.personDetectorId,
            ]
          : [this.#options.personDetectorId],
        search,
        faceBoxes: [...faces, ...residual].map((f) => f.box),
      };
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.REDACTION_FAILED, `redaction failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** A face box widened by faceMarginRatio of its size and MIN_FACE_MARGIN_PX on every side. */
  #faceMask(box: NormBox, widthPx: number, heightPx: number): NormBox {
    const r = this.#options.faceMarginRatio;
    const dx = (box.x2 - box.x1) * r + MIN_FACE_MARGIN_PX / widthPx;
    const dy = (box.y2 - box.y1) * r + MIN_FACE_MARGIN_PX / heightPx;
    return clampBox({ x1: box.x1 - dx, y1: box.y1 - dy, x2: box.x2 + dx, y2: box.y2 + dy });
  }

  #planOptions(widthPx: number, heightPx: number, faces: FaceDetector): FacePlanOptions {
    return {
      widthPx,
      heightPx,
      canvasWidthPx: faces.inputSizePx.widthPx,
      canvasHeightPx: faces.inputSizePx.heightPx,
      tileScale: this.#options.tileScale ?? 2,
      tileOverlapPx: this.#options.tileOverlapPx ?? 96,
    };
  }

  async #search(
    rgb: Buffer,
    widthPx: number,
    heightPx: number,
    persons: readonly NormBox[],
    masked: readonly NormBox[],
    search: FaceSearch,
    keep: readonly NormBox[] | undefined,
  ): Promise<FaceBox[]> {
    const faces = this.#faces;
    if (!faces || search === 'none') return [];
    if (this.faceSearch === 'whole-frame') return faces.detectFaces(rgb, widthPx, heightPx);
    const windows = planFaceWindows(
      { regions: keep ?? [{ x1: 0, y1: 0, x2: 1, y2: 1 }], persons, masked, search },
      this.#planOptions(widthPx, heightPx, faces),
    );
    return detectInChunks(faces, rgb, widthPx, heightPx, windows);
  }

  async #residual(out: Buffer, widthPx: number, heightPx: number, masked: readonly NormBox[]): Promise<FaceBox[]> {
    const faces = this.#faces;
    if (!faces) return [];
    if (this.faceSearch === 'whole-frame') return faces.detectFaces(out, widthPx, heightPx);
    const windows = masked.map((box) => {
      const grown = widenBox(box, 0.25);
      const sizePx = Math.max((grown.x2 - grown.x1) * widthPx, (grown.y2 - grown.y1) * heightPx, 1);
      return { box: grown, scale: Math.max(1, Math.min(MAX_RESIDUAL_SCALE, RESIDUAL_TARGET_PX / sizePx)) };
    });
    return detectInChunks(faces, out, widthPx, heightPx, windows);
  }
}

/** Windows in requests of at most MAX_FACE_WINDOWS each (a crowd can have hundreds). */
async function detectInChunks(
  faces: FaceDetector,
  rgb: Buffer,
  widthPx: number,
  heightPx: number,
  windows: readonly FaceWindow[],
): Promise<FaceBox[]> {
  const found: FaceBox[] = [];
  for (let i = 0; i < windows.length; i += MAX_FACE_WINDOWS)
    found.push(...(await faces.detectFacesIn(rgb, widthPx, heightPx, windows.slice(i, i + MAX_FACE_WINDOWS))));
  return found;
}
