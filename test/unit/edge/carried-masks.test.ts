import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormBox } from '../../../edge/detect/detection.js';
import { iou } from '../../../edge/detect/detection.js';
import { carriedMasks } from '../../../edge/redact/carried-masks.js';

const box = (x: number): NormBox => ({ x1: x, y1: 0.2, x2: x + 0.05, y2: 0.4 });

describe('masks carried along tracks', () => {
  it('a frame where the detector missed the person still masks where the neighbours saw them', () => {
    const frames = [{ maskBoxes: [box(0.1)] }, { maskBoxes: [] }, { maskBoxes: [box(0.12)] }];
    expect(carriedMasks(frames, 1)).toEqual([box(0.1), box(0.12)]);
  });

  it('property: every box of the frame and its neighbours is covered by a kept box; kept boxes are distinct', () => {
    const frame = fc.record({
      maskBoxes: fc.array(fc.double({ min: 0, max: 0.9, noNaN: true }).map(box), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 5 }), fc.nat(), (frames, n) => {
        const i = n % frames.length;
        const kept = carriedMasks(frames, i);
        for (const f of [frames[i - 1], frames[i], frames[i + 1]])
          for (const b of f?.maskBoxes ?? []) expect(kept.some((k) => iou(k, b) > 0.8)).toBe(true);
        for (const [a, k] of kept.entries())
          for (const other of kept.slice(a + 1)) expect(iou(k, other)).toBeLessThanOrEqual(0.8);
      }),
    );
  });
});
