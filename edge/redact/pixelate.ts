import type { NormBox } from '../detect/detection.js';

/** Pixel rectangle, end exclusive. */
export interface PixelRect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** The pixels a normalised box covers, clipped to the frame. */
export function toPixels(box: NormBox, widthPx: number, heightPx: number): PixelRect {
  return {
    x0: Math.max(0, Math.floor(box.x1 * widthPx)),
    y0: Math.max(0, Math.floor(box.y1 * heightPx)),
    x1: Math.min(widthPx, Math.ceil(box.x2 * widthPx)),
    y1: Math.min(heightPx, Math.ceil(box.y2 * heightPx)),
  };
}

/**
 * Blocks across a region's short side. The independent face detector of the tests
 * still found faces in 4x4 and 3x3 mosaics of 10-24 px faces, and none in 2x2.
 */
export const BLOCKS_ACROSS = 2;

/**
 * Replaces every `blockPx` square inside `box` with its mean colour, in place, on packed RGB.
 * Blocks are at least half the region's short side, so at most about 2x2 means survive
 * across a face: too few to recover one from, or to read as one.
 */
export function pixelateRegion(rgb: Buffer, widthPx: number, heightPx: number, box: NormBox, minBlockPx: number): void {
  const r = toPixels(box, widthPx, heightPx);
  const shortSide = Math.min(r.x1 - r.x0, r.y1 - r.y0);
  if (shortSide <= 0) return;
  const blockPx = Math.max(minBlockPx, Math.ceil(shortSide / BLOCKS_ACROSS));
  for (let by = r.y0; by < r.y1; by += blockPx) {
    for (let bx = r.x0; bx < r.x1; bx += blockPx) {
      const ey = Math.min(by + blockPx, r.y1);
      const ex = Math.min(bx + blockPx, r.x1);
      const sum = [0, 0, 0];
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const i = (y * widthPx + x) * 3;
          sum[0]! += rgb[i]!;
          sum[1]! += rgb[i + 1]!;
          sum[2]! += rgb[i + 2]!;
        }
      }
      const n = (ey - by) * (ex - bx);
      const mean = sum.map((s) => Math.round(s / n));
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const i = (y * widthPx + x) * 3;
          rgb[i] = mean[0]!;
          rgb[i + 1] = mean[1]!;
          rgb[i + 2] = mean[2]!;
        }
      }
    }
  }
}

/** Fills `box` with one flat grey, in place: nothing of the region survives. */
export function fillRegion(rgb: Buffer, widthPx: number, heightPx: number, box: NormBox): void {
  const r = toPixels(box, widthPx, heightPx);
  for (let y = r.y0; y < r.y1; y++) rgb.fill(128, (y * widthPx + r.x0) * 3, (y * widthPx + r.x1) * 3);
}
