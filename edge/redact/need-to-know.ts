import type { NormBox } from '../detect/detection.js';
import { iou } from '../detect/detection.js';
import type { TrackPoint } from '../track/tracker.js';
import { clampBox, widenBox } from './face-plan.js';
import { toPixels } from './pixelate.js';

/** Need-to-know pixelation: blocks at least this fraction of the frame width (1/20: 38 px at 768). */
export const NEED_TO_KNOW_BLOCK_FRACTION = 1 / 20;
/** The zone's bounding box is widened by this fraction of its size on every side. */
const ZONE_MARGIN = 0.1;
/** The offender's box is widened by this fraction of its size on every side. */
const OFFENDER_MARGIN = 0.5;
/** A person box of the next frame continues the offender's box when they overlap this much. */
const FOLLOW_IOU = 0.2;

/** The zone polygon's bounding box (normalised points). Pure. */
export function zoneBox(polygon: readonly (readonly [number, number])[]): NormBox {
  const xs = polygon.map((p) => p[0]);
  const ys = polygon.map((p) => p[1]);
  return clampBox({ x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) });
}

/** What stays sharp in need-to-know mode: the zone and the offender's box, both dilated. Pure. */
export function keepRegions(zone: NormBox, offender: NormBox | undefined): NormBox[] {
  const regions = [widenBox(zone, ZONE_MARGIN)];
  if (offender) regions.push(widenBox(offender, OFFENDER_MARGIN));
  return regions;
}

/**
 * The offender's box on a frame: the track's own observation at that time when it has one;
 * otherwise the person box of this frame that best continues the offender's box on the
 * frame before (it is the same person walking on); otherwise that earlier box. Pure.
 */
export function offenderBoxAt(
  history: readonly TrackPoint[],
  atMs: number,
  previous: NormBox | undefined,
  persons: readonly NormBox[],
): NormBox | undefined {
  const own = history.find((p) => p.capturedAtMs === atMs);
  if (own) return own.box;
  const from = previous ?? nearestBefore(history, atMs);
  if (!from) return undefined;
  const next = persons
    .map((p) => ({ p, overlap: iou(from, p) }))
    .filter((c) => c.overlap >= FOLLOW_IOU)
    .sort((a, b) => b.overlap - a.overlap)[0]?.p;
  return next ?? from;
}

function nearestBefore(history: readonly TrackPoint[], atMs: number): NormBox | undefined {
  let best: TrackPoint | undefined;
  for (const p of history) if (!best || Math.abs(p.capturedAtMs - atMs) < Math.abs(best.capturedAtMs - atMs)) best = p;
  return best?.box;
}

/**
 * Pixelates everything outside `keep`, in place, in blocks of `blockPx` on a grid over the
 * whole frame: a face there becomes at most one or two flat blocks, whatever any detector
 * saw. Pixels inside `keep` are left as they were.
 */
export function pixelateOutside(
  rgb: Buffer,
  widthPx: number,
  heightPx: number,
  keep: readonly NormBox[],
  blockPx: number,
): void {
  const rects = keep.map((k) => toPixels(k, widthPx, heightPx)).filter((r) => r.x1 > r.x0 && r.y1 > r.y0);
  const saved = rects.map((r) => {
    const rows: Buffer[] = [];
    for (let y = r.y0; y < r.y1; y++)
      rows.push(Buffer.from(rgb.subarray((y * widthPx + r.x0) * 3, (y * widthPx + r.x1) * 3)));
    return rows;
  });
  // A block wholly inside a kept rectangle is restored below anyway: it is skipped.
  const isKept = (x0: number, y0: number, x1: number, y1: number): boolean =>
    rects.some((r) => x0 >= r.x0 && y0 >= r.y0 && x1 <= r.x1 && y1 <= r.y1);
  for (let by = 0; by < heightPx; by += blockPx) {
    const ey = Math.min(by + blockPx, heightPx);
    for (let bx = 0; bx < widthPx; bx += blockPx) {
      const ex = Math.min(bx + blockPx, widthPx);
      if (isKept(bx, by, ex, ey)) continue;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (let y = by; y < ey; y++) {
        for (let i = (y * widthPx + bx) * 3, end = (y * widthPx + ex) * 3; i < end; i += 3) {
          s0 += rgb[i]!;
          s1 += rgb[i + 1]!;
          s2 += rgb[i + 2]!;
        }
      }
      const n = (ey - by) * (ex - bx);
      const r = Math.round(s0 / n);
      const g = Math.round(s1 / n);
      const b = Math.round(s2 / n);
      // The block's first row pixel by pixel, the other rows copied from it.
      const first = (by * widthPx + bx) * 3;
      const firstEnd = (by * widthPx + ex) * 3;
      for (let i = first; i < firstEnd; i += 3) {
        rgb[i] = r;
        rgb[i + 1] = g;
        rgb[i + 2] = b;
      }
      for (let y = by + 1; y < ey; y++) rgb.copyWithin((y * widthPx + bx) * 3, first, firstEnd);
    }
  }
  rects.forEach((r, k) => saved[k]!.forEach((row, j) => row.copy(rgb, ((r.y0 + j) * widthPx + r.x0) * 3)));
}

/** The need-to-know block size for a frame. */
export function needToKnowBlockPx(widthPx: number): number {
  return Math.max(1, Math.ceil(widthPx * NEED_TO_KNOW_BLOCK_FRACTION));
}
