import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_RULE_STATE, applyEntryRule, classifyEntry } from '../../../edge/rule/entry-rule.js';
import type { CrosswalkZone, EntryDecision, RuleState } from '../../../edge/rule/entry-rule.js';
import { feetPoint, isInsidePolygon } from '../../../edge/rule/geometry.js';
import type { SignalAspect, SignalReading } from '../../../edge/signal/signal.js';
import type { Track } from '../../../edge/track/tracker.js';

const ZONE: CrosswalkZone = {
  id: 'z',
  version: 1,
  polygon: [
    [0.4, 0.4],
    [0.6, 0.4],
    [0.6, 0.6],
    [0.4, 0.6],
  ],
};
const OPTIONS = { graceMs: 1000, minDwellMs: 400 };
const FRAME_MS = 200;

function reading(aspect: SignalAspect, sinceMs: number, atMs: number): SignalReading {
  return {
    aspect,
    aspectBeganAtMs: atMs - sinceMs,
    msSinceSteadyDontWalk: aspect === 'steady_dont_walk' ? sinceMs : 0,
    source: 'schedule_file',
    sourceId: 't@1',
    readAtMs: atMs,
  };
}

/** Feet at (x, y): a 0.04-wide box whose bottom centre is the point. */
function trackAt(id: number, points: { x: number; y: number; t: number }[]): Track {
  return {
    id,
    isUpdated: true,
    velocity: { cxPerMs: 0, cyPerMs: 0, wPerMs: 0, hPerMs: 0 },
    history: points.map((p) => ({
      capturedAtMs: p.t,
      score: 0.9,
      box: { x1: p.x - 0.02, y1: p.y - 0.2, x2: p.x + 0.02, y2: p.y },
    })),
  };
}

/** Runs the rule over a walk, frame by frame. */
function walk(xs: readonly number[], signal: (atMs: number) => SignalReading, y = 0.5): EntryDecision[] {
  let state: RuleState = EMPTY_RULE_STATE;
  const decisions: EntryDecision[] = [];
  const points: { x: number; y: number; t: number }[] = [];
  xs.forEach((x, i) => {
    points.push({ x, y, t: i * FRAME_MS });
    const result = applyEntryRule(state, [trackAt(1, points)], ZONE, signal, OPTIONS);
    state = result.state;
    decisions.push(...result.decisions);
  });
  return decisions;
}

const CROSSING = [0.2, 0.3, 0.35, 0.45, 0.5, 0.55, 0.58, 0.7]; // enters at frame 3 (t = 600 ms)

describe('entry rule', () => {
  it('classifies by the signal when the feet entered', () => {
    expect(classifyEntry(reading('walk', 0, 0), 1000)).toBe('lawful_walk');
    expect(classifyEntry(reading('flashing_dont_walk', 0, 0), 1000)).toBe('lawful_flashing');
    expect(classifyEntry(reading('steady_dont_walk', 1000, 0), 1000)).toBe('lawful_within_grace');
    expect(classifyEntry(reading('steady_dont_walk', 1001, 0), 1000)).toBe('infraction');
    expect(classifyEntry(reading('dark', 0, 0), 1000)).toBe('signal_dark');
  });

  it("decides an entry during steady DON'T WALK after the grace period once, after the dwell", () => {
    const decisions = walk(CROSSING, (t) => reading('steady_dont_walk', 5000 + t, t));
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.outcome).toBe('infraction');
    expect(decisions[0]!.entry.capturedAtMs).toBe(600);
    expect(decisions[0]!.decidedAt.capturedAtMs).toBe(1000);
  });

  it('lets someone who entered on WALK finish while the signal changes', () => {
    const signal = (t: number): SignalReading =>
      t < 700 ? reading('walk', t, t) : reading('steady_dont_walk', t - 700 + 5000, t);
    expect(walk(CROSSING, signal).map((d) => d.outcome)).toEqual(['lawful_walk']);
  });

  it('does not decide a track first seen inside the zone', () => {
    expect(walk([0.5, 0.5, 0.5, 0.5, 0.55], (t) => reading('steady_dont_walk', 9000, t))).toHaveLength(0);
  });

  it('property: feet that never stay inside for the dwell are never decided (edge jitter)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 2, maxLength: 40 }), (insideFlags) => {
        // at most 1 frame (200 ms < 400 ms dwell) inside at a time
        const xs = insideFlags.map((inside, i) => (inside && !insideFlags[i - 1] ? 0.41 : 0.39));
        expect(walk(xs, (t) => reading('steady_dont_walk', 9000, t))).toHaveLength(0);
      }),
    );
  });

  it('property: a crossing is decided at most once, and as the signal at entry says', () => {
    const aspects: SignalAspect[] = ['walk', 'flashing_dont_walk', 'steady_dont_walk', 'dark'];
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...aspects),
        fc.integer({ min: 0, max: 5000 }),
        (xs, aspect, sinceMs) => {
          const signal = (t: number): SignalReading => reading(aspect, sinceMs + t, t);
          const decisions = walk(xs, signal);
          expect(decisions.length).toBeLessThanOrEqual(1);
          for (const d of decisions) {
            expect(d.outcome).toBe(classifyEntry(signal(d.entry.capturedAtMs), OPTIONS.graceMs));
            expect(isInsidePolygon(feetPoint(d.entry.box), ZONE.polygon)).toBe(true);
            expect(d.decidedAt.capturedAtMs - d.entry.capturedAtMs).toBeGreaterThanOrEqual(OPTIONS.minDwellMs);
          }
        },
      ),
    );
  });
});

describe('point in polygon', () => {
  it('property: agrees with the rectangle test away from the edges', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (x, y) => {
        fc.pre(
          Math.abs(x - 0.4) > 1e-9 && Math.abs(x - 0.6) > 1e-9 && Math.abs(y - 0.4) > 1e-9 && Math.abs(y - 0.6) > 1e-9,
        );
        expect(isInsidePolygon([x, y], ZONE.polygon)).toBe(x > 0.4 && x < 0.6 && y > 0.4 && y < 0.6);
      }),
    );
  });
});
