import type { NormBox } from '../detect/detection.js';

/** A point in normalised [0,1] image coordinates. */
export type Point = readonly [x: number, y: number];

/** The anchor point of a person box: bottom centre, i.e. the feet. */
export function feetPoint(box: NormBox): Point {
  return [(box.x1 + box.x2) / 2, box.y2];
}

/** Even-odd ray casting; points on an edge may fall either way (the band in `zoneSide` absorbs that). */
export function isInsidePolygon(point: Point, polygon: readonly Point[]): boolean {
  const [x, y] = point;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance from a point to the segment a-b, normalised units. */
function distanceToSegment(point: Point, a: Point, b: Point): number {
  const [px, py] = point;
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const lengthSq = dx * dx + dy * dy;
  const t = lengthSq === 0 ? 0 : Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / lengthSq));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

/** Distance from the point to the polygon's outline (normalised units), inside or out. */
export function distanceToOutline(point: Point, polygon: readonly Point[]): number {
  let best = Infinity;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++)
    best = Math.min(best, distanceToSegment(point, polygon[j]!, polygon[i]!));
  return best;
}

/**
 * Where a point lies relative to a zone with a hysteresis band around its outline:
 * "in" inside the polygon; "band" outside it but no further than `bandWidth` from the
 * outline (neither an exit nor an entry); "out" further away than that. Pure.
 */
export type ZoneSide = 'in' | 'band' | 'out';

export function zoneSide(point: Point, polygon: readonly Point[], bandWidth: number): ZoneSide {
  if (isInsidePolygon(point, polygon)) return 'in';
  return distanceToOutline(point, polygon) > bandWidth ? 'out' : 'band';
}
