import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_RULE_STATE, applyEntryRule } from '../../../edge/rule/entry-rule.js';
import type { CrosswalkZone, EntryDecision, RuleOptions, RuleState } from '../../../edge/rule/entry-rule.js';
import { distanceToOutline, isInsidePolygon, zoneSide } from '../../../edge/rule/geometry.js';
import type { Point } from '../../../edge/rule/geometry.js';
import { trackOfEntry } from '../../../edge/pipeline/candidates.js';
import type { SignalAspect, SignalReading } from '../../../edge/signal/signal.js';
import type { Track } from '../../../edge/track/tracker.js';

/** A crosswalk seen in perspective: a convex quadrilateral, wider at the bottom. */
const ZONE: CrosswalkZone = {
  id: 'z',
  version: 3,
  polygon: [
    [0.35, 0.35],
    [0.65, 0.32],
    [0.75, 0.7],
    [0.25, 0.66],
  ],
};
const OPTIONS: RuleOptions = { graceMs: 1000, minDwellMs: 400, reentryOutsideMs: 1000, edgeHysteresis: 0.02 };

function reading(aspect: SignalAspect, sinceMs: number, atMs: number): SignalReading {
  return {
    aspect,
    aspectBeganAtMs: atMs - sinceMs,
    msSinceSteadyDontWalk: aspect === 'steady_dont_walk' ? sinceMs : 0,
    source: 'schedule_file',
    sourceId: 't@1',
    readAtMs: atMs,
    isStale: false,
    clock: { state: 'unknown', offsetMs: 0, reference: '' },
  };
}

const steady = (t: number): SignalReading => reading('steady_dont_walk', 9000 + t, t);

interface Foot {
  readonly at: Point;
  readonly t: number;
}

/** Runs the rule over one track's feet path, every observation an update. */
function decide(path: readonly Foot[], signal = steady, options = OPTIONS): EntryDecision[] {
  let state: RuleState = EMPTY_RULE_STATE;
  const decisions: EntryDecision[] = [];
  const history: Track['history'][number][] = [];
  for (const { at, t } of path) {
    const [x, y] = at;
    history.push({ capturedAtMs: t, score: 0.9, box: { x1: x - 0.02, y1: y - 0.2, x2: x + 0.02, y2: y } });
    const track: Track = {
      id: 7,
      isUpdated: true,
      velocity: { cxPerMs: 0, cyPerMs: 0, wPerMs: 0, hPerMs: 0 },
      history,
    };
    const r = applyEntryRule(state, [track], ZONE, { signalAt: signal, isCameraObstructed: false }, options);
    state = r.state;
    decisions.push(...r.decisions);
  }
  return decisions;
}

const CENTRE: Point = [0.5, 0.5];
const centroid: Point = [
  ZONE.polygon.reduce((s, p) => s + p[0], 0) / ZONE.polygon.length,
  ZONE.polygon.reduce((s, p) => s + p[1], 0) / ZONE.polygon.length,
];

/** A point inside: a convex combination of the corners, pulled towards the centroid. */
function insidePoint(weights: readonly number[]): Point {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const x = ZONE.polygon.reduce((s, p, i) => s + (p[0] * weights[i]!) / total, 0);
  const y = ZONE.polygon.reduce((s, p, i) => s + (p[1] * weights[i]!) / total, 0);
  return [centroid[0] + 0.9 * (x - centroid[0]), centroid[1] + 0.9 * (y - centroid[1])];
}

/** A point `offset` outside edge `edge` (along its outward normal) at fraction `along`. */
function outsidePoint(edge: number, along: number, offset: number): Point {
  const a = ZONE.polygon[edge]!;
  const b = ZONE.polygon[(edge + 1) % ZONE.polygon.length]!;
  const px = a[0] + along * (b[0] - a[0]);
  const py = a[1] + along * (b[1] - a[1]);
  const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
  let nx = (b[1] - a[1]) / length;
  let ny = -(b[0] - a[0]) / length;
  if (nx * (px - centroid[0]) + ny * (py - centroid[1]) < 0) [nx, ny] = [-nx, -ny];
  return [px + offset * nx, py + offset * ny];
}

const H = OPTIONS.edgeHysteresis;
const arbInside = fc
  .array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 })
  .map(insidePoint);
const arbOnEdge = fc.record({
  edge: fc.integer({ min: 0, max: 3 }),
  along: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
});
/** Outside the polygon but within the band: jitter on the edge. */
const arbBand = fc
  .tuple(arbOnEdge, fc.double({ min: 0.001, max: H * 0.95, noNaN: true }))
  .map(([e, offset]) => outsidePoint(e.edge, e.along, offset));
/** Beyond the band. */
const arbOut = fc
  .tuple(arbOnEdge, fc.double({ min: H * 1.05, max: 0.2, noNaN: true }))
  .map(([e, offset]) => outsidePoint(e.edge, e.along, offset));

/**
 * A path as alternating runs, inside and outside. An inside run starts and ends inside the
 * polygon, its middle points inside or in the band (jitter); an outside run starts beyond the
 * band, its other points beyond it or in the band.
 */
interface Run {
  readonly isInside: boolean;
  readonly points: readonly { at: Point; jitter: Point; isJitter: boolean; gapMs: number }[];
}

const arbRunPoints = (main: fc.Arbitrary<Point>) =>
  fc.array(
    fc.record({ at: main, jitter: arbBand, isJitter: fc.boolean(), gapMs: fc.integer({ min: 100, max: 400 }) }),
    { minLength: 1, maxLength: 14 },
  );

const arbRuns = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.tuple(arbRunPoints(arbInside), arbRunPoints(arbOut)), { minLength: 1, maxLength: 6 }),
  )
  .map(([startInside, pairs]): Run[] =>
    pairs.flatMap(([inside, outside]) => {
      const runs = [
        { isInside: true, points: inside },
        { isInside: false, points: outside },
      ];
      return startInside ? runs : runs.reverse();
    }),
  );

/** The feet path of the runs; `withJitter` false puts every jitter point back where it was. */
function pathOf(runs: readonly Run[], withJitter: boolean): { path: Foot[]; starts: number[]; ends: number[] } {
  const path: Foot[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let t = 0;
  for (const run of runs) {
    run.points.forEach((p, i) => {
      t += p.gapMs;
      const isEnd = i === 0 || (run.isInside && i === run.points.length - 1);
      path.push({ at: withJitter && p.isJitter && !isEnd ? p.jitter : p.at, t });
    });
    starts.push(path[path.length - run.points.length]!.t);
    ends.push(t);
  }
  return { path, starts, ends };
}

/**
 * The entries the definition names, run by run: an inside run is an entry when the track came
 * from outside, the time since that outside stretch began is at least `reentryOutsideMs` (or it
 * is the track's first approach), and the run lasts the dwell. A too-early return continues the
 * previous stay; a too-short run leaves the track outside.
 */
function expectedEntries(runs: readonly Run[], starts: readonly number[], ends: readonly number[]): number[] {
  let where: 'first_inside' | 'inside' | 'outside' = runs[0]!.isInside ? 'first_inside' : 'outside';
  let outsideSince = starts[0]!;
  let isFirstApproach = !runs[0]!.isInside;
  const entries: number[] = [];
  runs.forEach((run, i) => {
    const s = starts[i]!;
    if (!run.isInside) {
      if (where !== 'outside') [where, outsideSince, isFirstApproach] = ['outside', s, false];
      return;
    }
    if (where !== 'outside') return;
    if (!isFirstApproach && s - outsideSince < OPTIONS.reentryOutsideMs) {
      where = 'inside';
      return;
    }
    if (ends[i]! - s >= OPTIONS.minDwellMs) {
      entries.push(s);
      [where, isFirstApproach] = ['inside', false];
    }
  });
  return entries;
}

describe('entry rule: every entry decided', () => {
  const walkIn = (fromMs: number): Foot[] =>
    [0.15, 0.25, 0.4, 0.5, 0.55, 0.6].map((x, i) => ({ at: [x, 0.5] as Point, t: fromMs + i * 200 }));
  const walkOut = (fromMs: number): Foot[] =>
    [0.4, 0.25, 0.15, 0.1].map((x, i) => ({ at: [x, 0.5] as Point, t: fromMs + i * 200 }));

  it('decides a lawful crossing, then the same track coming back on steady DON’T WALK as an infraction', () => {
    // WALK until 2 s, then steady DON'T WALK: in at 0.4 s, out from 1.4 s (x 0.25), back in at 3.2 s.
    const signal = (t: number): SignalReading =>
      t < 2000 ? reading('walk', t, t) : reading('steady_dont_walk', t - 2000, t);
    const path = [...walkIn(0), ...walkOut(1200), ...walkIn(2800)];
    const decisions = decide(path, signal);
    expect(decisions.map((d) => [d.entryNumber, d.outcome, d.entry.capturedAtMs])).toEqual([
      [1, 'lawful_walk', 400],
      [2, 'infraction', 3200],
    ]);
    // The second entry's approach starts where the feet went beyond the band (x 0.25 at 1.4 s).
    expect(decisions[1]!.approachFromMs).toBe(1400);
    expect(decisions[1]!.signal.aspect).toBe('steady_dont_walk');
  });

  it('each entry’s event carries its own box history, from its approach to its decision', () => {
    const path = [...walkIn(0), ...walkOut(1200), ...walkIn(2800)];
    const decisions = decide(path);
    const history = path.map((f) => ({
      capturedAtMs: f.t,
      score: 0.9,
      box: { x1: f.at[0] - 0.02, y1: f.at[1] - 0.2, x2: f.at[0] + 0.02, y2: f.at[1] },
    }));
    const track: Track = {
      id: 7,
      isUpdated: true,
      velocity: { cxPerMs: 0, cyPerMs: 0, wPerMs: 0, hPerMs: 0 },
      history,
    };
    const second = trackOfEntry(track, decisions[1]!).history.map((p) => p.capturedAtMs);
    expect(second[0]).toBe(1400);
    expect(second.at(-1)).toBe(decisions[1]!.decidedAt.capturedAtMs);
    const first = trackOfEntry(track, decisions[0]!).history.map((p) => p.capturedAtMs);
    expect(first).toEqual([0, 200, 400, 600, 800]);
  });

  it('a step out shorter than reentryOutsideMs continues the stay: no second entry', () => {
    const path = [
      ...walkIn(0),
      { at: [0.25, 0.5] as Point, t: 1200 },
      { at: [0.25, 0.5] as Point, t: 1400 },
      ...walkIn(1600).slice(2),
    ];
    // out from 1.2 s, back in at 2.0 s: 800 ms < 1000 ms
    expect(decide(path).map((d) => d.entry.capturedAtMs)).toEqual([400]);
    // the same path with a shorter minimum makes it a second entry
    expect(decide(path, steady, { ...OPTIONS, reentryOutsideMs: 800 }).map((d) => d.entry.capturedAtMs)).toEqual([
      400, 2000,
    ]);
  });

  it('feet dithering across the edge within the band never make a second entry; beyond it they do', () => {
    const dither = (offset: number): Foot[] =>
      Array.from({ length: 30 }, (_, i) => ({
        at: i % 5 < 2 ? outsidePoint(3, 0.5, offset) : outsidePoint(3, 0.5, -0.01),
        t: 2000 + i * 200,
      }));
    const start: Foot[] = [
      { at: outsidePoint(3, 0.5, 0.1), t: 0 },
      { at: CENTRE, t: 200 },
      { at: CENTRE, t: 600 },
    ];
    expect(decide([...start, ...dither(H * 0.9)])).toHaveLength(1);
    // Out beyond the band for 400 ms at a time is never the 1000 ms a new entry needs...
    expect(decide([...start, ...dither(H * 2)])).toHaveLength(1);
    // ...but with no minimum time out, each return is an entry.
    expect(decide([...start, ...dither(H * 2)], steady, { ...OPTIONS, reentryOutsideMs: 0 }).length).toBeGreaterThan(1);
  });

  it('geometry: band points are outside the polygon and within the band; out points beyond it', () => {
    fc.assert(
      fc.property(arbBand, arbOut, arbInside, (band, out, inside) => {
        expect(isInsidePolygon(band, ZONE.polygon)).toBe(false);
        expect(distanceToOutline(band, ZONE.polygon)).toBeLessThanOrEqual(H);
        expect(zoneSide(band, ZONE.polygon, H)).toBe('band');
        expect(zoneSide(out, ZONE.polygon, H)).toBe('out');
        expect(zoneSide(inside, ZONE.polygon, H)).toBe('in');
      }),
    );
  });

  it('property: decided entries are exactly the in→out→in returns that satisfy the dwells; band jitter adds none', () => {
    fc.assert(
      fc.property(arbRuns, (runs) => {
        const { path, starts, ends } = pathOf(runs, true);
        const expected = expectedEntries(runs, starts, ends);
        const decisions = decide(path);
        expect(decisions.map((d) => d.entry.capturedAtMs)).toEqual(expected);
        expect(decisions.map((d) => d.entryNumber)).toEqual(expected.map((_, i) => i + 1));
        // The same path without the jitter decides the same entries.
        const clean = decide(pathOf(runs, false).path);
        expect(clean.map((d) => d.entry.capturedAtMs)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('property: after an entry, any dithering between inside and the band is one stay, however long', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(arbInside, arbBand), { minLength: 1, maxLength: 80 }), (dither) => {
        const path: Foot[] = [
          { at: outsidePoint(0, 0.5, 0.1), t: 0 },
          { at: CENTRE, t: 200 },
          { at: CENTRE, t: 600 },
          ...dither.map((at, i) => ({ at, t: 800 + i * 200 })),
        ];
        expect(decide(path).map((d) => d.entry.capturedAtMs)).toEqual([200]);
      }),
    );
  });
});
