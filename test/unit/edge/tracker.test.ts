import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../edge/detect/detection.js';
import { EMPTY_TRACKER, updateTracker } from '../../../edge/track/tracker.js';

const OPTIONS = { minIou: 0.2, maxLostMs: 1000, maxHistory: 5 };

const detection = fc
  .record({
    x: fc.double({ min: 0, max: 0.9, noNaN: true }),
    y: fc.double({ min: 0, max: 0.9, noNaN: true }),
    score: fc.double({ min: 0.3, max: 1, noNaN: true }),
  })
  .map(({ x, y, score }): Detection => ({ box: { x1: x, y1: y, x2: x + 0.1, y2: y + 0.1 }, score, classId: 0 }));

describe('IoU tracker', () => {
  it('follows a box that moves a little between frames', () => {
    let state = EMPTY_TRACKER;
    for (let i = 0; i < 5; i++) {
      const x = 0.1 + i * 0.01;
      state = updateTracker(
        state,
        [{ box: { x1: x, y1: 0.1, x2: x + 0.1, y2: 0.3 }, score: 0.9, classId: 0 }],
        i * 200,
        OPTIONS,
      );
    }
    expect(state.tracks).toHaveLength(1);
    expect(state.tracks[0]!.id).toBe(1);
    expect(state.tracks[0]!.history).toHaveLength(5);
  });

  it('drops a track unseen for longer than maxLostMs', () => {
    let state = updateTracker(
      EMPTY_TRACKER,
      [{ box: { x1: 0, y1: 0, x2: 0.1, y2: 0.1 }, score: 0.9, classId: 0 }],
      0,
      OPTIONS,
    );
    state = updateTracker(state, [], 1000, OPTIONS);
    expect(state.tracks).toHaveLength(1);
    state = updateTracker(state, [], 1001, OPTIONS);
    expect(state.tracks).toHaveLength(0);
  });

  it('property: every detection lands in exactly one updated track, ids are unique and never reused', () => {
    fc.assert(
      fc.property(fc.array(fc.array(detection, { maxLength: 8 }), { minLength: 1, maxLength: 20 }), (frames) => {
        let state = EMPTY_TRACKER;
        const everSeen = new Set<number>();
        frames.forEach((dets, i) => {
          const prevIds = new Set(state.tracks.map((t) => t.id));
          state = updateTracker(state, dets, i * 200, OPTIONS);
          const updated = state.tracks.filter((t) => t.isUpdated);
          expect(updated).toHaveLength(dets.length);
          const ids = state.tracks.map((t) => t.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (const t of state.tracks) {
            if (!prevIds.has(t.id)) expect(everSeen.has(t.id)).toBe(false);
            everSeen.add(t.id);
            expect(t.history.length).toBeLessThanOrEqual(OPTIONS.maxHistory);
            const times = t.history.map((p) => p.capturedAtMs);
            expect([...times].sort((a, b) => a - b)).toEqual(times);
          }
        });
      }),
    );
  });
});
