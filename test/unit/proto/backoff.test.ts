import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../../proto/backoff.js';

describe('the edge backoff', () => {
  it('starts at the first delay, doubles, and never passes the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 1, max: 200 }),
        (firstDelayMs, maxDelayMs, attempt) => {
          const backoff = { firstDelayMs, maxDelayMs };
          const delayMs = backoffDelayMs(attempt, backoff);
          expect(delayMs).toBeLessThanOrEqual(maxDelayMs);
          expect(backoffDelayMs(1, backoff)).toBe(Math.min(firstDelayMs, maxDelayMs));
          const next = backoffDelayMs(attempt + 1, backoff);
          expect(next).toBe(Math.min(maxDelayMs, delayMs * 2));
        },
      ),
    );
  });
});
