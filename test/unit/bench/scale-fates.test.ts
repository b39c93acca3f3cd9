import { describe, expect, it } from 'vitest';
import { eventIdOf, fateOf } from '../../bench/scale-load.js';

describe("bench:scale's generated events", () => {
  it('gives each event a stable v4 UUID and the stated mix of fates', () => {
    const id = eventIdOf('seed', 7);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdOf('seed', 7)).toBe(id);
    expect(eventIdOf('seed', 8)).not.toBe(id);
    const fates = Array.from({ length: 1000 }, (_, i) => fateOf(i));
    const share = (f: string): number => fates.filter((x) => x === f).length / 1000;
    expect([share('approved'), share('rejected'), share('queued')]).toEqual([0.8, 0.12, 0.08]);
  });
});
