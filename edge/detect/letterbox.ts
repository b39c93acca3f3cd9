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

/** Where and how a resized image lands in a planar float tensor. */
export interface PlanarTarget {
  /** Tensor plane size. */
  readonly tensorWidthPx: number;
  readonly tensorHeightPx: number;
  /** The resized image's size, placed top-left; the rest keeps `padValue`. */
  readonly resizedWidthPx: number;
  readonly resizedHeightPx: number;
  /** Source channel (0 R, 1 G, 2 B) written to each of the three planes. */
  readonly channels: readonly [number, number, number];
  /** Each value is written as (pixel - offset) * scale. */
  readonly offset: number;
  readonly scale: number;
  readonly padValue: number;
}

/**
 * Resizes packed RGB (bilinear, pixel centres aligned as OpenCV's INTER_LINEAR does) and
 * writes a planar float32 tensor in the same pass. Pure and synchronous: the detectors need
 * no shared image thread pool, so their latency does not depend on what else the process
 * is encoding.
 */
export function resizeToPlanarTensor(
  rgb: Uint8Array,
  widthPx: number,
  heightPx: number,
  t: PlanarTarget,
): Float32Array {
  const plane = t.tensorWidthPx * t.tensorHeightPx;
  const tensor = new Float32Array(3 * plane).fill(t.padValue);
  const { resizedWidthPx: w, resizedHeightPx: h } = t;
  const [c0, c1, c2] = t.channels;
  const sx = widthPx / w;
  const sy = heightPx / h;
  const x0s = new Int32Array(w);
  const x1s = new Int32Array(w);
  const wxs = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const fx = Math.min(widthPx - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    x0s[x] = Math.floor(fx) * 3;
    x1s[x] = Math.min(widthPx - 1, Math.floor(fx) + 1) * 3;
    wxs[x] = fx - Math.floor(fx);
  }
  const k = t.scale;
  const o = t.offset;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(heightPx - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const row0 = Math.floor(fy) * widthPx * 3;
    const row1 = Math.min(heightPx - 1, Math.floor(fy) + 1) * widthPx * 3;
    const wy = fy - Math.floor(fy);
    const out = y * t.tensorWidthPx;
    for (let x = 0; x < w; x++) {
      const a = row0 + x0s[x]!;
      const b = row0 + x1s[x]!;
      const c = row1 + x0s[x]!;
      const d = row1 + x1s[x]!;
      const wx = wxs[x]!;
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      const dst = out + x;
      tensor[dst] = (rgb[a + c0]! * w00 + rgb[b + c0]! * w01 + rgb[c + c0]! * w10 + rgb[d + c0]! * w11 - o) * k;
      tensor[plane + dst] = (rgb[a + c1]! * w00 + rgb[b + c1]! * w01 + rgb[c + c1]! * w10 + rgb[d + c1]! * w11 - o) * k;
      tensor[2 * plane + dst] =
        (rgb[a + c2]! * w00 + rgb[b + c2]! * w01 + rgb[c + c2]! * w10 + rgb[d + c2]! * w11 - o) * k;
    }
  }
  return tensor;
}

/** YOLOX's input: the letterboxed frame as planar BGR, raw 0-255, padded with `padValue`. */
export function letterboxBgrTensor(
  rgb: Uint8Array,
  widthPx: number,
  heightPx: number,
  box: Letterbox,
  inputSizePx: number,
  padValue: number,
): Float32Array {
  return resizeToPlanarTensor(rgb, widthPx, heightPx, {
    tensorWidthPx: inputSizePx,
    tensorHeightPx: inputSizePx,
    resizedWidthPx: box.resizedWidthPx,
    resizedHeightPx: box.resizedHeightPx,
    channels: [2, 1, 0],
    offset: 0,
    scale: 1,
    padValue,
  });
}
