import type { NormBox } from '../detect/detection.js';

/** A point in normalised [0,1] image coordinates. */
export type Point = readonly [x: number, y: number];

/** The anchor point of a person box: bottom centre, i.e. the feet. */
export function feetPoint(box: NormBox): Point {
  return [(box.x1 + box.x2) / 2, box.y2];
}

/** Even-odd ray casting; points on an edge may fall either way (the dwell time absorbs that). */
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
