import { canvasTensor } from './face-windows.js';

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
  // The whole frame as the one window of a canvas the tensor's size, at its top-left.
  const placement = {
    src: { x: 0, y: 0, w: widthPx, h: heightPx },
    dst: { x: 0, y: 0, w: t.resizedWidthPx, h: t.resizedHeightPx },
  };
  return canvasTensor(rgb, widthPx, heightPx, { placements: [placement] }, t.tensorWidthPx, t.tensorHeightPx, t);
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
