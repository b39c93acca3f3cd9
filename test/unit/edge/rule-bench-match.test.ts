import { describe, expect, it } from 'vitest';
import { matchFlags } from '../../bench/rule-labels.js';
import type { Flag, LabelledEntry } from '../../bench/rule-labels.js';

const entry = (id: string, atMs: number, x: number, cls: LabelledEntry['class']): LabelledEntry => ({
  id,
  atMs,
  feet: [x, 0.5],
  class: cls,
  note: '',
});
const flag = (atMs: number, x: number, trackId = 1): Flag => ({ atMs, feet: [x, 0.5], trackId });
const WINDOW = { ms: 1000, distance: 0.08 };

describe('bench:rule matching', () => {
  const entries = [
    entry('a', 1000, 0.3, 'infraction'),
    entry('b', 1200, 0.6, 'infraction'),
    entry('c', 5000, 0.3, 'lawful'),
    entry('d', 9000, 0.3, 'ambiguous'),
    entry('e', 12_000, 0.3, 'infraction'),
  ];

  it('counts true and false positives, wrongful flags, ambiguous ones apart, and the misses', () => {
    const m = matchFlags(
      entries,
      [flag(1100, 0.31), flag(1300, 0.59), flag(5200, 0.3), flag(9100, 0.3), flag(20_000, 0.5)],
      WINDOW,
    );
    expect(m.labelled).toEqual({ infraction: 3, lawful: 1, ambiguous: 1 });
    expect([m.truePositives, m.falsePositives, m.wrongful, m.ambiguousExcluded]).toEqual([2, 2, 1, 1]);
    expect(m.precision).toBeCloseTo(0.5);
    expect(m.recall).toBeCloseTo(2 / 3);
    expect(m.missed.map((e) => e.id)).toEqual(['e']);
  });

  it('matches one to one: two flags on one entry make one true and one false positive', () => {
    const m = matchFlags(entries, [flag(900, 0.3, 1), flag(1050, 0.3, 2)], WINDOW);
    expect([m.truePositives, m.falsePositives]).toEqual([1, 1]);
  });

  it('a flag at the right time in the wrong place, or the right place at the wrong time, matches nothing', () => {
    const m = matchFlags(entries, [flag(1000, 0.45), flag(2200, 0.3)], WINDOW);
    expect([m.truePositives, m.falsePositives, m.wrongful]).toEqual([0, 2, 0]);
  });
});
