import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suspensionReasons, updateObstruction } from '../../../edge/rule/enforcement.js';
import { addReport, readingFromTimeline } from '../../../edge/signal/controller-timeline.js';
import type { ReceivedReport, Timeline } from '../../../edge/signal/controller-timeline.js';

const OPTIONS = { controllerId: 'ctl-1', staleAfterMs: 2500, maxClockOffsetMs: 500, keepMs: 120_000 };

function feed(reports: ReceivedReport[]): Timeline {
  return reports.reduce<Timeline>((t, r) => addReport(t, r, OPTIONS), []);
}

/** A controller reporting every second: WALK from 0, flashing from 10 s, steady from 16 s. */
function cycle(untilMs: number, offsetMs = 0): ReceivedReport[] {
  const out: ReceivedReport[] = [];
  for (let t = 0; t <= untilMs; t += 1000) {
    const [aspect, began] =
      t < 10_000
        ? (['walk', 0] as const)
        : t < 16_000
          ? (['flashing_dont_walk', 10_000] as const)
          : (['steady_dont_walk', 16_000] as const);
    out.push({ aspect, stateBeganAtMs: began, sentAtMs: t, receivedAtMs: t + offsetMs });
  }
  return out;
}

describe('controller signal feed', () => {
  it("reads the state and ms since steady DON'T WALK from the controller's own stamps", () => {
    const timeline = feed(cycle(20_000, 20));
    const r = readingFromTimeline(timeline, 18_500, OPTIONS);
    expect(r).toMatchObject({
      aspect: 'steady_dont_walk',
      aspectBeganAtMs: 16_000,
      msSinceSteadyDontWalk: 2500,
      isStale: false,
    });
    expect(r.clock).toEqual({ state: 'synced', offsetMs: 20, reference: 'controller:ctl-1' });
    expect(readingFromTimeline(timeline, 12_000, OPTIONS).aspect).toBe('flashing_dont_walk');
  });

  it('goes stale when reports stop, and is dark and stale before the first report', () => {
    const timeline = feed(cycle(20_000));
    expect(readingFromTimeline(timeline, 22_500, OPTIONS).isStale).toBe(false);
    expect(readingFromTimeline(timeline, 22_501, OPTIONS).isStale).toBe(true);
    const empty = readingFromTimeline([], 1000, OPTIONS);
    expect(empty).toMatchObject({ aspect: 'dark', isStale: true });
  });

  it('property: the clock is unsynced exactly when the offset exceeds the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5000, max: 5000 }), (offsetMs) => {
        const r = readingFromTimeline(feed(cycle(5000, offsetMs)), 5000 + offsetMs, OPTIONS);
        expect(r.clock.state).toBe(Math.abs(offsetMs) > OPTIONS.maxClockOffsetMs ? 'unsynced' : 'synced');
        expect(suspensionReasons(r, false).includes('clock_unsynced')).toBe(
          Math.abs(offsetMs) > OPTIONS.maxClockOffsetMs,
        );
      }),
    );
  });

  it('forgets old reports but keeps the newest two', () => {
    const timeline = feed(cycle(300_000));
    expect(timeline.length).toBeLessThanOrEqual(122);
    expect(timeline.at(-1)!.sentAtMs).toBe(300_000);
    expect(feed(cycle(1000)).length).toBe(2);
  });
});

describe('obstruction', () => {
  const OBSTRUCTION = { maxLumaStddev: 6, afterMs: 2000 };
  it('a view flat for the whole interval is obstructed; any scene resets it', () => {
    let state = { flatSinceMs: undefined as number | undefined };
    const flags: boolean[] = [];
    for (const [stddev, t] of [
      [2, 0],
      [2, 1000],
      [2, 2000],
      [30, 2200],
      [2, 2400],
      [2, 4399],
      [2, 4400],
    ] as const) {
      const r = updateObstruction(state, stddev, t, OBSTRUCTION);
      state = r.state;
      flags.push(r.isObstructed);
    }
    expect(flags).toEqual([false, false, true, false, false, false, true]);
  });
});
