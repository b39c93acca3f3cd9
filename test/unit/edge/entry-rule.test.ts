import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_RULE_STATE, applyEntryRule, classifyEntry } from '../../../edge/rule/entry-rule.js';
import type { CrosswalkZone, EntryDecision, RuleState } from '../../../edge/rule/entry-rule.js';
import { feetPoint, isInsidePolygon, zoneSide } from '../../../edge/rule/geometry.js';
import { readingFromTimeline } from '../../../edge/signal/controller-timeline.js';
import type { ReceivedReport } from '../../../edge/signal/controller-timeline.js';
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
const OPTIONS = { graceMs: 1000, minDwellMs: 400, reentryOutsideMs: 1000, edgeHysteresis: 0.02 };
const FRAME_MS = 200;

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

/** Feet at (x, y): a 0.04-wide box whose bottom centre is the point. */
function trackAt(id: number, points: { x: number; y: number; t: number }[], isUpdated = true): Track {
  return {
    id,
    isUpdated,
    velocity: { cxPerMs: 0, cyPerMs: 0, wPerMs: 0, hPerMs: 0 },
    history: points.map((p) => ({
      capturedAtMs: p.t,
      score: 0.9,
      box: { x1: p.x - 0.02, y1: p.y - 0.2, x2: p.x + 0.02, y2: p.y },
    })),
  };
}

/**
 * Runs the rule over a walk, frame by frame. Frames where `seen` is false are frames where
 * the tracker lost the person but kept the track (not updated).
 */
function walk(
  xs: readonly number[],
  signal: (atMs: number) => SignalReading,
  y = 0.5,
  seen: (i: number) => boolean = () => true,
): EntryDecision[] {
  let state: RuleState = EMPTY_RULE_STATE;
  const decisions: EntryDecision[] = [];
  const points: { x: number; y: number; t: number }[] = [];
  xs.forEach((x, i) => {
    if (seen(i)) points.push({ x, y, t: i * FRAME_MS });
    if (points.length === 0) return;
    const result = applyEntryRule(
      state,
      [trackAt(1, points, seen(i))],
      ZONE,
      { signalAt: signal, isCameraObstructed: false },
      OPTIONS,
    );
    state = result.state;
    decisions.push(...result.decisions);
  });
  return decisions;
}

const CROSSING = [0.2, 0.3, 0.35, 0.45, 0.5, 0.55, 0.58, 0.7]; // enters at frame 3 (t = 600 ms)

/**
 * What must hold of any run's decisions, whatever the path (`xs[i]` is the feet's x at frame i,
 * y = 0.5; undefined where the track was not seen): each is classified by the signal at its
 * entry, entered inside the polygon and was decided after the dwell; entries are numbered in
 * order; and before each entry after the first, the feet were seen beyond the band at least
 * `reentryOutsideMs` earlier, after the previous entry.
 */
function expectWellFormed(
  decisions: readonly EntryDecision[],
  xs: readonly (number | undefined)[],
  signal: (atMs: number) => SignalReading,
): void {
  decisions.forEach((d, i) => {
    expect(d.entryNumber).toBe(i + 1);
    expect(d.outcome).toBe(classifyEntry(signal(d.entry.capturedAtMs), OPTIONS.graceMs));
    expect(isInsidePolygon(feetPoint(d.entry.box), ZONE.polygon)).toBe(true);
    expect(d.decidedAt.capturedAtMs - d.entry.capturedAtMs).toBeGreaterThanOrEqual(OPTIONS.minDwellMs);
    expect(d.approachFromMs).toBeLessThan(d.entry.capturedAtMs);
    if (i === 0) return;
    const previous = decisions[i - 1]!;
    const outBetween = xs.some((x, frame) => {
      const t = frame * FRAME_MS;
      return (
        x !== undefined &&
        t > previous.decidedAt.capturedAtMs &&
        t <= d.entry.capturedAtMs - OPTIONS.reentryOutsideMs &&
        zoneSide([x, 0.5], ZONE.polygon, OPTIONS.edgeHysteresis) === 'out'
      );
    });
    expect(outBetween).toBe(true);
  });
}

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

  it('property: feet that never stay inside for the dwell are never decided', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 2, maxLength: 40 }), (insideFlags) => {
        // at most 1 frame (200 ms < 400 ms dwell) inside at a time, then out beyond the band
        const xs = insideFlags.map((inside, i) => (inside && !insideFlags[i - 1] ? 0.41 : 0.35));
        expect(walk(xs, (t) => reading('steady_dont_walk', 9000, t))).toHaveLength(0);
      }),
    );
  });

  it('property: every decision is as the signal at entry says, after the dwell, and re-entries only after time out', () => {
    const aspects: SignalAspect[] = ['walk', 'flashing_dont_walk', 'steady_dont_walk', 'dark'];
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...aspects),
        fc.integer({ min: 0, max: 5000 }),
        (xs, aspect, sinceMs) => {
          const signal = (t: number): SignalReading => reading(aspect, sinceMs + t, t);
          const decisions = walk(xs, signal);
          expectWellFormed(decisions, xs, signal);
        },
      ),
    );
  });
});

describe('entry rule: grace, loss, re-acquisition and suspension', () => {
  const ENTRY_MS = 600; // CROSSING enters at frame 3
  /** The outcome for CROSSING's entry when steady DON'T WALK began at `onsetMs`, flashing before. */
  const truthAtEntry = (onsetMs: number): string =>
    ENTRY_MS < onsetMs
      ? 'lawful_flashing'
      : ENTRY_MS - onsetMs > OPTIONS.graceMs
        ? 'infraction'
        : 'lawful_within_grace';

  it('property: the grace boundary: an infraction exactly when the entry is more than graceMs after the onset', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3000, max: 3000 }), (onsetOffsetMs) => {
        const onsetMs = ENTRY_MS - OPTIONS.graceMs + onsetOffsetMs;
        const signal = (t: number): SignalReading =>
          t < onsetMs ? reading('flashing_dont_walk', t, t) : reading('steady_dont_walk', t - onsetMs, t);
        const outcomes = walk(CROSSING, signal).map((d) => d.outcome);
        expect(outcomes).toEqual([truthAtEntry(onsetMs)]);
      }),
    );
  });

  it('property: losing and re-acquiring the same track decides as the signal at entry says, re-entries only after time out', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.2, max: 0.8, noNaN: true }), { minLength: 2, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.integer({ min: 0, max: 5000 }),
        (xs, seenFlags, sinceMs) => {
          const signal = (t: number): SignalReading => reading('steady_dont_walk', sinceMs + t, t);
          const seen = (i: number): boolean => i === 0 || seenFlags[i]!;
          const withLoss = walk(xs, signal, 0.5, seen);
          expectWellFormed(
            withLoss,
            xs.map((x, i) => (seen(i) ? x : undefined)),
            signal,
          );
        },
      ),
    );
  });

  it('property: a report of the change that arrives after the entry frame, but by the decision, still decides it', () => {
    const FEED = { controllerId: 'c', staleAfterMs: 2000, maxClockOffsetMs: 1000, keepMs: 60_000 };
    fc.assert(
      fc.property(
        fc.integer({ min: -3000, max: 600 }),
        fc.integer({ min: 0, max: OPTIONS.minDwellMs }),
        (onsetOffsetMs, delayMs) => {
          // Flashing from long before; steady DON'T WALK from `onsetMs`, reported `delayMs` late.
          const onsetMs = ENTRY_MS + onsetOffsetMs;
          const report = (aspect: SignalAspect, beganAtMs: number, receivedAtMs: number): ReceivedReport => ({
            aspect,
            stateBeganAtMs: beganAtMs,
            sentAtMs: receivedAtMs,
            receivedAtMs,
          });
          const reports = [
            report('flashing_dont_walk', -10_000, -10_000),
            report('steady_dont_walk', onsetMs, onsetMs + delayMs),
          ];
          let state: RuleState = EMPTY_RULE_STATE;
          const decisions: EntryDecision[] = [];
          const points: { x: number; y: number; t: number }[] = [];
          CROSSING.forEach((x, i) => {
            const nowMs = i * FRAME_MS;
            points.push({ x, y: 0.5, t: nowMs });
            // What the device has received by this frame.
            const timeline = reports.filter((r) => r.receivedAtMs <= nowMs);
            const context = {
              signalAt: (atMs: number) => readingFromTimeline(timeline, atMs, FEED),
              isCameraObstructed: false,
            };
            const r = applyEntryRule(state, [trackAt(1, points)], ZONE, context, OPTIONS);
            state = r.state;
            decisions.push(...r.decisions);
          });
          expect(decisions.map((d) => d.outcome)).toEqual([truthAtEntry(onsetMs)]);
          expect(decisions[0]!.signal.aspectBeganAtMs).toBe(ENTRY_MS < onsetMs ? -10_000 : onsetMs);
        },
      ),
    );
  });

  it('a track lost inside the zone and re-acquired there is decided once, from its first entry', () => {
    const seen = (i: number): boolean => i !== 4 && i !== 5;
    const decisions = walk(CROSSING, (t) => reading('steady_dont_walk', 5000 + t, t), 0.5, seen);
    expect(decisions.map((d) => [d.outcome, d.entry.capturedAtMs])).toEqual([['infraction', ENTRY_MS]]);
  });

  it('a person the tracker dropped and found again under a new id inside the zone is not decided', () => {
    let state: RuleState = EMPTY_RULE_STATE;
    const context = { signalAt: (t: number) => reading('steady_dont_walk', 9000, t), isCameraObstructed: false };
    const decisions: EntryDecision[] = [];
    const first = [0.3, 0.35, 0.45].map((x, i) => ({ x, y: 0.5, t: i * FRAME_MS }));
    first.forEach((_, i) => {
      const r = applyEntryRule(state, [trackAt(1, first.slice(0, i + 1))], ZONE, context, OPTIONS);
      state = r.state;
      decisions.push(...r.decisions);
    });
    const second = [0.47, 0.5, 0.52, 0.55].map((x, i) => ({ x, y: 0.5, t: 2000 + i * FRAME_MS }));
    second.forEach((_, i) => {
      const r = applyEntryRule(state, [trackAt(2, second.slice(0, i + 1))], ZONE, context, OPTIONS);
      state = r.state;
      decisions.push(...r.decisions);
    });
    expect(decisions).toEqual([]);
  });

  it('property: a stale signal at the entry marks the decision suspended, a fresh one never does', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('synced', 'unsynced', 'unknown' as const),
        (isStale, obstructed, clockState) => {
          const signal = (t: number): SignalReading => ({
            ...reading('steady_dont_walk', 5000 + t, t),
            isStale,
            clock: { state: clockState, offsetMs: clockState === 'unsynced' ? 2000 : 0, reference: 'controller:c' },
          });
          let state: RuleState = EMPTY_RULE_STATE;
          const decisions: EntryDecision[] = [];
          const points: { x: number; y: number; t: number }[] = [];
          CROSSING.forEach((x, i) => {
            points.push({ x, y: 0.5, t: i * FRAME_MS });
            const r = applyEntryRule(
              state,
              [trackAt(1, points)],
              ZONE,
              { signalAt: signal, isCameraObstructed: obstructed },
              OPTIONS,
            );
            state = r.state;
            decisions.push(...r.decisions);
          });
          expect(decisions).toHaveLength(1);
          const reasons = decisions[0]!.suspendedReasons;
          expect(reasons.includes('signal_stale')).toBe(isStale);
          expect(reasons.includes('camera_obstructed')).toBe(obstructed);
          expect(reasons.includes('clock_unsynced')).toBe(clockState === 'unsynced');
          // Marked, not dropped: the outcome is the same as with a healthy feed.
          expect(decisions[0]!.outcome).toBe('infraction');
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
