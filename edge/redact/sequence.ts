import type { NormBox } from '../detect/detection.js';
import { EdgeError, EdgeErrorCode } from '../errors.js';
import { anchorFaces, carriedMask, carryFaces, mergeCarried } from './carry-faces.js';
import type { CarriedFace } from './carry-faces.js';
import { carriedMasks } from './carried-masks.js';
import type { FaceSearch } from './face-plan.js';
import type { RedactionResult, Redactor } from './redactor.js';

/** How often a sequence of frames gets a face search; between searches faces are carried. */
export interface FaceCadence {
  /** A full search (tiles at 2x) at least every this many frames, and on every keyframe. */
  readonly fullEveryFrames: number;
  /** A light search (the frame at up to 1x, persons' upper boxes enlarged) at least this often. */
  readonly lightEveryFrames: number;
}

/** Every frame searched in full: for single images and where cost does not matter. */
export const EVERY_FRAME: FaceCadence = { fullEveryFrames: 1, lightEveryFrames: 1 };

/** One frame of a sequence: its pixels and the person boxes to mask on it. */
export interface SequenceFrame {
  readonly frame: {
    readonly rgb: Buffer;
    readonly widthPx: number;
    readonly heightPx: number;
    readonly capturedAtMs: number;
  };
  readonly maskBoxes: readonly NormBox[];
}

export interface SequenceScope {
  readonly cadence: FaceCadence;
  /** Frames that get a full search whatever the cadence (the evidence keyframes). */
  readonly isKeyframe?: (frames: readonly SequenceFrame[], i: number) => boolean;
  /** Need-to-know: the regions of frame `i` left sharp; absent: standard redaction. */
  readonly keepAt?: (frames: readonly SequenceFrame[], i: number) => readonly NormBox[] | undefined;
}

/**
 * Redacts the frames of one sequence (an event's evidence, a video) in order. Person masks
 * are carried from neighbouring frames; faces are searched for on keyframes and at the
 * cadence, and the faces found are carried to the frames after (moving with the person box
 * they are in, or growing where there is none) until a search replaces them. Frames must be
 * redacted in capture order; a frame may be skipped (faces are carried through it). `frames`
 * need only hold the frames since the one redacted before and the neighbours of frame `i`.
 */
export class RedactionSequence {
  readonly #redactor: Redactor;
  readonly #scope: SequenceScope;
  #carried: CarriedFace[] = [];
  #lastMs = -Infinity;
  #sinceFull = Infinity;
  #sinceLight = Infinity;

  constructor(redactor: Redactor, scope: SequenceScope) {
    this.#redactor = redactor;
    this.#scope = scope;
  }

  async redactAt(frames: readonly SequenceFrame[], i: number): Promise<RedactionResult> {
    const { cadence } = this.#scope;
    const atMs = frames[i]!.frame.capturedAtMs;
    if (atMs <= this.#lastMs)
      throw new EdgeError(
        EdgeErrorCode.REDACTION_FAILED,
        `frame at ${atMs} ms redacted out of order (after ${this.#lastMs})`,
      );
    if (this.#lastMs > -Infinity) {
      for (const step of frames.filter((f) => f.frame.capturedAtMs > this.#lastMs && f.frame.capturedAtMs <= atMs)) {
        this.#carried = carryFaces(this.#carried, step.maskBoxes);
        this.#sinceFull += 1;
        this.#sinceLight += 1;
      }
    }
    this.#lastMs = atMs;
    // Where every frame is searched in full (the thorough cadence), every frame is looked at again too.
    const isKeyframe = cadence.fullEveryFrames === 1 || (this.#scope.isKeyframe?.(frames, i) ?? true);
    const search: FaceSearch =
      this.#sinceFull >= cadence.fullEveryFrames || (this.#scope.isKeyframe && isKeyframe)
        ? 'full'
        : this.#sinceLight >= cadence.lightEveryFrames
          ? 'light'
          : 'none';
    const persons = carriedMasks(frames, i);
    const { frame } = frames[i]!;
    const keep = this.#scope.keepAt?.(frames, i);
    const result = await this.#redactor.redact(frame.rgb, frame.widthPx, frame.heightPx, persons, {
      search,
      carriedFaces: this.#carried.map(carriedMask),
      // The second look runs on keyframes only (all frames where nothing says which are).
      secondLook: isKeyframe,
      ...(keep ? { keep } : {}),
    });
    if (search !== 'none') {
      const maxAge = Math.max(cadence.fullEveryFrames, cadence.lightEveryFrames) * 2;
      this.#carried = mergeCarried(anchorFaces(result.faceBoxes, persons), this.#carried, maxAge);
      this.#sinceLight = 0;
      if (search === 'full') this.#sinceFull = 0;
    }
    return result;
  }
}
