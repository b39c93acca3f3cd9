/** One decoded camera frame, packed RGB (3 bytes per pixel, row-major). */
export interface Frame {
  readonly cameraId: string;
  /** 0-based index of the frame in this source's output. */
  readonly index: number;
  /** When the frame was captured (Unix epoch ms). */
  readonly capturedAtMs: number;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly rgb: Buffer;
}

/** A stream of frames from one camera. */
export interface FrameSource extends AsyncIterable<Frame> {
  /** Stops the source and releases its process; safe to call twice. */
  close(): Promise<void>;
}
