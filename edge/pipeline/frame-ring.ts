import type { Detection } from '../detect/detection.js';
import type { Frame } from '../frames/frame.js';

/** A frame with the detections found in it. */
export interface DetectedFrame {
  readonly frame: Frame;
  readonly detections: readonly Detection[];
}

/** The last few frames, so evidence comes from the exact frames the decision used. */
export class FrameRing {
  readonly #capacity: number;
  readonly #frames: DetectedFrame[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(entry: DetectedFrame): void {
    this.#frames.push(entry);
    if (this.#frames.length > this.#capacity) this.#frames.shift();
  }

  /** The frame captured at exactly this time, if still held. */
  at(capturedAtMs: number): DetectedFrame | undefined {
    return this.#frames.find((f) => f.frame.capturedAtMs === capturedAtMs);
  }
}
