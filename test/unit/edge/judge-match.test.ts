import { describe, expect, it } from 'vitest';
import { bandOf, emptyTally, samePlace, tallyLeaks } from '../../harness/judge.js';

const face = (x: number, y: number, size: number, score = 0.9) => ({ x1: x, y1: y, x2: x + size, y2: y + size, score });

describe('the judge: what counts as the same face, by size band', () => {
  it('a face after redaction at the same place and size is a leak; elsewhere, or ten times larger around it, is not', () => {
    expect(samePlace(face(100, 100, 12), face(101, 99, 13))).toBe(true);
    expect(samePlace(face(100, 100, 12), face(104, 104, 20))).toBe(true);
    expect(samePlace(face(100, 100, 12), face(140, 100, 12))).toBe(false);
    expect(samePlace(face(100, 100, 11), face(40, 60, 120))).toBe(false);
  });

  it('bands by the geometric mean of the sides, and tallies leaks per band', () => {
    expect([bandOf(face(0, 0, 10)), bandOf(face(0, 0, 16)), bandOf(face(0, 0, 30)), bandOf(face(0, 0, 48))]).toEqual([
      '<16',
      '16-24',
      '24-48',
      '>=48',
    ]);
    const tally = emptyTally();
    const leaks = tallyLeaks(tally, [face(0, 0, 10), face(100, 0, 20), face(200, 0, 60)], [face(100, 1, 20)]);
    expect(leaks).toEqual([face(100, 0, 20)]);
    expect(tally.before).toEqual({ '<16': 1, '16-24': 1, '24-48': 0, '>=48': 1 });
    expect(tally.leaked).toEqual({ '<16': 0, '16-24': 1, '24-48': 0, '>=48': 0 });
  });
});
