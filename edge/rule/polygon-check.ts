import type { Point } from './geometry.js';

/** Twice the signed area (shoelace); 0 for a degenerate polygon. */
export function doubleArea(polygon: readonly Point[]): number {
  let sum = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    sum += (polygon[j]![0] - polygon[i]![0]) * (polygon[j]![1] + polygon[i]![1]);
  }
  return sum;
}

const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

function onSegment(p: Point, a: Point, b: Point): boolean {
  return (
    Math.min(a[0], b[0]) <= p[0] &&
    p[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= p[1] &&
    p[1] <= Math.max(a[1], b[1])
  );
}

/** Whether segments a-b and c-d share any point (touching and collinear overlap count). */
export function segmentsIntersect(a: Point, b: Point, c: Point, d: Point): boolean {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  return (
    (d1 === 0 && onSegment(a, c, d)) ||
    (d2 === 0 && onSegment(b, c, d)) ||
    (d3 === 0 && onSegment(c, a, b)) ||
    (d4 === 0 && onSegment(d, a, b))
  );
}

/**
 * Why a zone polygon cannot be used, or undefined when it is simple: at least 3 corners, no
 * corner repeated, an area, and no edge crossing or touching another than its neighbours.
 * (A self-crossing polygon makes "inside" mean something no one drew.) O(n²): zones are small.
 */
export function polygonProblem(polygon: readonly Point[]): string | undefined {
  const n = polygon.length;
  if (n < 3) return 'needs at least 3 points';
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      if (polygon[i]![0] === polygon[j]![0] && polygon[i]![1] === polygon[j]![1])
        return `points ${i} and ${j} are the same corner`;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const isNeighbour = j === i + 1 || (i === 0 && j === n - 1);
      if (isNeighbour) continue;
      if (segmentsIntersect(polygon[i]!, polygon[(i + 1) % n]!, polygon[j]!, polygon[(j + 1) % n]!))
        return `edge ${i}-${(i + 1) % n} crosses edge ${j}-${(j + 1) % n}: the corners must go around the zone in order`;
    }
  }
  // Normalised units: a millionth of the frame is no zone (and absorbs rounding on a straight line).
  if (Math.abs(doubleArea(polygon)) < 2e-6) return 'has no area (its points are on one line)';
  return undefined;
}
