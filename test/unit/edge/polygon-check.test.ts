import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { polygonProblem } from '../../../edge/rule/polygon-check.js';
import type { Point } from '../../../edge/rule/geometry.js';

/** A star-shaped polygon: corners at increasing angles around a centre, each at its own radius. */
const starPolygon = fc
  .record({
    cx: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
    cy: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
    corners: fc.array(fc.double({ min: 0.05, max: 0.25, noNaN: true }), { minLength: 3, maxLength: 12 }),
  })
  .map(({ cx, cy, corners }) =>
    corners.map((r, i): Point => {
      // Evenly spaced angles with a slight wobble keep the corners in order around the centre.
      const angle = (2 * Math.PI * (i + 0.25)) / corners.length;
      return [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
    }),
  );

/** A convex polygon (corners on a circle in order), at least 4 corners. */
const convexPolygon = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 10 }).map((ts) =>
  ts.map((t, i): Point => {
    const angle = (2 * Math.PI * (i + 0.2 + 0.6 * t)) / ts.length;
    return [0.5 + 0.4 * Math.cos(angle), 0.5 + 0.4 * Math.sin(angle)];
  }),
);

const rotate = (p: readonly Point[], k: number): Point[] => [...p.slice(k % p.length), ...p.slice(0, k % p.length)];

describe('zone polygons: simple or refused', () => {
  it('accepts every star-shaped polygon, whichever corner it starts at and whichever way it goes', () => {
    fc.assert(
      fc.property(starPolygon, fc.nat(), (polygon, k) => {
        expect(polygonProblem(polygon)).toBeUndefined();
        expect(polygonProblem(rotate(polygon, k))).toBeUndefined();
        expect(polygonProblem([...polygon].reverse())).toBeUndefined();
      }),
    );
  });

  it('refuses a convex polygon with two neighbouring corners swapped (a bow tie), naming the crossing edges', () => {
    fc.assert(
      fc.property(convexPolygon, fc.nat(), (polygon, k) => {
        const i = k % polygon.length;
        const j = (i + 1) % polygon.length;
        const crossed = [...polygon];
        [crossed[i], crossed[j]] = [crossed[j]!, crossed[i]!];
        expect(polygonProblem(crossed)).toMatch(/^edge \d+-\d+ crosses edge \d+-\d+/);
      }),
    );
  });

  it('refuses the issue’s bow tie, a repeated corner, and corners on one line', () => {
    expect(
      polygonProblem([
        [0.2, 0.2],
        [0.8, 0.8],
        [0.8, 0.2],
        [0.2, 0.8],
      ]),
    ).toMatch(/crosses/);
    expect(
      polygonProblem([
        [0.2, 0.2],
        [0.8, 0.2],
        [0.2, 0.2],
        [0.5, 0.9],
      ]),
    ).toMatch(/same corner/);
    expect(
      polygonProblem([
        [0.1, 0.1],
        [0.5, 0.5],
        [0.9, 0.9],
      ]),
    ).toMatch(/no area/);
    expect(
      polygonProblem([
        [0.45, 0.28],
        [0.62, 0.28],
        [0.66, 0.62],
        [0.48, 0.62],
      ]),
    ).toBeUndefined();
  });
});
