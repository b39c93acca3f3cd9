import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detection } from '../../../edge/detect/detection.js';
import { iou } from '../../../edge/detect/detection.js';
import {
  DEFAULT_TRACKER_OPTIONS,
  EMPTY_TRACKER,
  activeTrackCount,
  predictBox,
  updateTracker,
} from '../../../edge/track/tracker.js';
import type { TrackerState } from '../../../edge/track/tracker.js';

const OPTIONS = {
  ...DEFAULT_TRACKER_OPTIONS,
  highScore: 0.5,
  minIou: 0.2,
  minIouLow: 0.4,
  maxLostMs: 1000,
  maxHistory: 5,
};
const FRAME_MS = 200;

const detection = fc
  .record({
    x: fc.double({ min: 0, max: 0.9, noNaN: true }),
    y: fc.double({ min: 0, max: 0.9, noNaN: true }),
    score: fc.double({ min: 0.1, max: 1, noNaN: true }),
  })
  .map(({ x, y, score }): Detection => ({ box: { x1: x, y1: y, x2: x + 0.1, y2: y + 0.1 }, score, classId: 0 }));

const person = (x: number, y: number, score = 0.9): Detection => ({
  box: { x1: x, y1: y, x2: x + 0.06, y2: y + 0.2 },
  score,
  classId: 0,
});

function run(frames: readonly (readonly Detection[])[], options = OPTIONS): TrackerState[] {
  const states: TrackerState[] = [];
  let state = EMPTY_TRACKER;
  frames.forEach((dets, i) => {
    state = updateTracker(state, dets, i * FRAME_MS, options);
    states.push(state);
  });
  return states;
}

describe('ByteTrack-style tracker', () => {
  it('follows a box that moves a little between frames', () => {
    const last = run([0, 1, 2, 3, 4].map((i) => [person(0.1 + i * 0.01, 0.1)])).at(-1)!;
    expect(last.tracks).toHaveLength(1);
    expect(last.tracks[0]!.id).toBe(1);
    expect(last.tracks[0]!.history).toHaveLength(5);
  });

  it('drops a track unseen for longer than maxLostMs', () => {
    let state = updateTracker(EMPTY_TRACKER, [person(0, 0)], 0, OPTIONS);
    state = updateTracker(state, [], 1000, OPTIONS);
    expect(state.tracks).toHaveLength(1);
    state = updateTracker(state, [], 1001, OPTIONS);
    expect(state.tracks).toHaveLength(0);
  });

  it('a low-score detection continues a track but never starts one', () => {
    const states = run([[person(0.2, 0.2)], [person(0.205, 0.2, 0.2)], [person(0.7, 0.7, 0.3)]]);
    expect(states[1]!.tracks.map((t) => [t.id, t.isUpdated])).toEqual([[1, true]]);
    expect(states[2]!.tracks.map((t) => t.id)).toEqual([1]);
    expect(states[2]!.tracks[0]!.isUpdated).toBe(false);
  });

  it('the motion model re-acquires a fast walker after missed frames, where last-box IoU would not', () => {
    const stepPerFrame = 0.025; // nearly half a box width per frame
    const frames = Array.from({ length: 12 }, (_, i) =>
      i >= 5 && i <= 7 ? [] : [person(0.05 + i * stepPerFrame, 0.4)],
    );
    const states = run(frames);
    const lastBeforeGap = frames[4]![0]!.box;
    const afterGap = frames[8]![0]!.box;
    expect(iou(lastBeforeGap, afterGap)).toBeLessThan(OPTIONS.minIou);
    expect(new Set(states.flatMap((s) => s.tracks.map((t) => t.id)))).toEqual(new Set([1]));
    expect(states.at(-1)!.tracks[0]!.history.length).toBe(OPTIONS.maxHistory);
  });

  it('property: a walker at constant velocity keeps one id through any gap shorter than maxLostMs', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -0.03, max: 0.03, noNaN: true }),
        fc.double({ min: -0.015, max: 0.015, noNaN: true }),
        fc.integer({ min: 3, max: 8 }),
        fc.integer({ min: 1, max: Math.floor(OPTIONS.maxLostMs / FRAME_MS) - 1 }),
        (vx, vy, gapStart, gapFrames) => {
          const frames = Array.from({ length: gapStart + gapFrames + 4 }, (_, i) =>
            i >= gapStart && i < gapStart + gapFrames ? [] : [person(0.45 + i * vx, 0.35 + i * vy)],
          );
          const ids = new Set(run(frames).flatMap((s) => s.tracks.map((t) => t.id)));
          expect([...ids]).toEqual([1]);
        },
      ),
    );
  });

  it('a person standing still stops counting as active; a walker and a lost track count', () => {
    const standing = run(Array.from({ length: 6 }, () => [person(0.2, 0.2)])).at(-1)!;
    expect(activeTrackCount(standing, 0.02)).toBe(0);
    const walking = run([0, 1, 2, 3].map((i) => [person(0.2 + i * 0.02, 0.2)])).at(-1)!;
    expect(activeTrackCount(walking, 0.02)).toBe(1);
    const lost = updateTracker(standing, [], 6 * FRAME_MS, OPTIONS);
    expect(activeTrackCount(lost, 0.02)).toBe(1);
  });

  it('predicts along the estimated velocity, and not beyond its horizon', () => {
    const states = run([[person(0.1, 0.1)], [person(0.12, 0.1)], [person(0.14, 0.1)]]);
    const track = states.at(-1)!.tracks[0]!;
    const ahead = predictBox(track, 3 * FRAME_MS);
    expect(ahead.x1).toBeGreaterThan(0.14);
    expect(ahead.x1).toBeLessThan(0.17);
    expect(predictBox(track, 60_000).x1).toBeCloseTo(predictBox(track, 2 * FRAME_MS + 1000).x1, 9);
  });

  it('property: each detection feeds at most one track, every high one exactly one; ids unique, never reused', () => {
    fc.assert(
      fc.property(fc.array(fc.array(detection, { maxLength: 8 }), { minLength: 1, maxLength: 20 }), (frames) => {
        let state = EMPTY_TRACKER;
        const everSeen = new Set<number>();
        frames.forEach((dets, i) => {
          const prevIds = new Set(state.tracks.map((t) => t.id));
          state = updateTracker(state, dets, i * FRAME_MS, OPTIONS);
          const updated = state.tracks.filter((t) => t.isUpdated);
          const high = dets.filter((d) => d.score >= OPTIONS.highScore).length;
          expect(updated.length).toBeGreaterThanOrEqual(high);
          expect(updated.length).toBeLessThanOrEqual(dets.length);
          const fed = updated.map((t) => t.history.at(-1)!);
          for (const point of fed) expect(dets.some((d) => d.box === point.box)).toBe(true);
          expect(new Set(fed.map((p) => p.box)).size).toBe(fed.length);
          const ids = state.tracks.map((t) => t.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (const t of state.tracks) {
            if (!prevIds.has(t.id)) {
              expect(everSeen.has(t.id)).toBe(false);
              expect(t.history[0]!.score).toBeGreaterThanOrEqual(OPTIONS.highScore);
            }
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
