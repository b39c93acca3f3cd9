import type { Detection, NormBox } from '../detect/detection.js';
import type { Frame } from '../frames/frame.js';

/** A frame with what the pipeline knew about it. */
export interface DetectedFrame {
  readonly frame: Frame;
  /** Empty when motion gating skipped the detector on this frame. */
  readonly detections: readonly Detection[];
  /** Person boxes to mask: the detections and every live track's box (predicted while it is lost). */
  readonly maskBoxes: readonly NormBox[];
}

/** The frames of the last `keepMs`, so evidence comes from the exact frames the decision used. */
export class FrameRing {
  readonly #keepMs: number;
  readonly #frames: DetectedFrame[] = [];

  constructor(keepMs: number) {
    this.#keepMs = keepMs;
  }

  push(entry: DetectedFrame): void {
    this.#frames.push(entry);
    const cutoff = entry.frame.capturedAtMs - this.#keepMs;
    while (this.#frames.length > 1 && this.#frames[0]!.frame.capturedAtMs < cutoff) this.#frames.shift();
  }

  /**
   * The median gap between the frames held, in ms (the camera's frame interval as delivered),
   * or undefined with fewer than two frames.
   */
  frameIntervalMs(): number | undefined {
    const gaps: number[] = [];
    for (let i = 1; i < this.#frames.length; i++)
      gaps.push(this.#frames[i]!.frame.capturedAtMs - this.#frames[i - 1]!.frame.capturedAtMs);
    if (gaps.length === 0) return undefined;
    gaps.sort((a, b) => a - b);
    return gaps[Math.floor(gaps.length / 2)];
  }

  /** The frames captured in [fromMs, toMs], oldest first. */
  between(fromMs: number, toMs: number): DetectedFrame[] {
    return this.#frames.filter((f) => f.frame.capturedAtMs >= fromMs && f.frame.capturedAtMs <= toMs);
  }
}
