import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, leafHash, merkleRoot } from '../../../core/audit/merkle.js';
import { CompactRange } from '../../bench/scale-check.js';
import { eventIdOf, fateOf } from '../../bench/scale-load.js';

const leaf = (i: number): Buffer => leafHash(Buffer.from(`entry ${i}`));

describe("bench:scale's streaming log check", () => {
  it('folds leaves one by one into the root the core computes from all of them', () => {
    expect(new CompactRange().root().equals(EMPTY_ROOT)).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (size) => {
        const leaves = Array.from({ length: size }, (_, i) => leaf(i));
        const range = new CompactRange();
        leaves.forEach((l) => range.push(l));
        expect(range.root().toString('hex')).toBe(merkleRoot(leaves).toString('hex'));
      }),
    );
  });

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
