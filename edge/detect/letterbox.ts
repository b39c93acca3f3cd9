/** How a frame was fitted into a square model input, top-left aligned. */
export interface Letterbox {
  /** Model pixels per frame pixel. */
  readonly scale: number;
  /** Size of the resized frame inside the model input. */
  readonly resizedWidthPx: number;
  readonly resizedHeightPx: number;
}

/** The scale and size that fit a frame into an `inputSizePx` square without distortion. */
export function fitLetterbox(widthPx: number, heightPx: number, inputSizePx: number): Letterbox {
  const scale = Math.min(inputSizePx / widthPx, inputSizePx / heightPx);
  return {
    scale,
    resizedWidthPx: Math.max(1, Math.round(widthPx * scale)),
    resizedHeightPx: Math.max(1, Math.round(heightPx * scale)),
  };
}

/**
 * Builds a planar BGR float32 tensor [1,3,size,size] with raw 0-255 values from a resized
 * packed-RGB image placed top-left; the rest is `padValue` (YOLOX's input convention).
 */
export function toBgrPlanarTensor(
  resizedRgb: Uint8Array,
  box: Letterbox,
  inputSizePx: number,
  padValue: number,
): Float32Array {
  const plane = inputSizePx * inputSizePx;
  const tensor = new Float32Array(3 * plane).fill(padValue);
  const { resizedWidthPx: w, resizedHeightPx: h } = box;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * 3;
      const dst = y * inputSizePx + x;
      tensor[dst] = resizedRgb[src + 2]!; // B
      tensor[plane + dst] = resizedRgb[src + 1]!; // G
      tensor[2 * plane + dst] = resizedRgb[src]!; // R
    }
  }
  return tensor;
}
