import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScheduleSignalSource, scheduledAspect } from '../../../edge/signal/schedule.js';
import type { Schedule } from '../../../edge/signal/schedule.js';

const SCHEDULE: Schedule = {
  id: 's',
  version: 1,
  offsetMs: 0,
  cycle: [
    { aspect: 'walk', durationMs: 10_000 },
    { aspect: 'flashing_dont_walk', durationMs: 5_000 },
    { aspect: 'steady_dont_walk', durationMs: 15_000 },
  ],
};

describe('signal schedule', () => {
  it('walks through the cycle from its start', () => {
    expect(scheduledAspect(SCHEDULE, 1000, 1000)).toEqual({ aspect: 'walk', beganAtMs: 1000 });
    expect(scheduledAspect(SCHEDULE, 1000, 11_000)).toEqual({ aspect: 'flashing_dont_walk', beganAtMs: 11_000 });
    expect(scheduledAspect(SCHEDULE, 1000, 20_500)).toEqual({ aspect: 'steady_dont_walk', beganAtMs: 16_000 });
    expect(scheduledAspect(SCHEDULE, 1000, 31_000)).toEqual({ aspect: 'walk', beganAtMs: 31_000 });
  });

  it("reports ms since steady DON'T WALK only in that aspect", () => {
    const source = new ScheduleSignalSource(SCHEDULE, 0);
    expect(source.readingAt(20_000).msSinceSteadyDontWalk).toBe(5_000);
    expect(source.readingAt(5_000).msSinceSteadyDontWalk).toBe(0);
  });

  it('property: the aspect began at or before the instant and less than its duration ago', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: -1e9, max: 1e9 }), (start, delta) => {
        const at = start + delta;
        const { aspect, beganAtMs } = scheduledAspect(SCHEDULE, start, at);
        const duration = SCHEDULE.cycle.find((p) => p.aspect === aspect)!.durationMs;
        expect(beganAtMs).toBeLessThanOrEqual(at);
        expect(at - beganAtMs).toBeLessThan(duration);
      }),
    );
  });
});
