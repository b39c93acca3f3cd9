import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detection, NormBox } from '../../../edge/detect/detection.js';
import { iou } from '../../../edge/detect/detection.js';
import { DEFAULT_TRACKER_OPTIONS, EMPTY_TRACKER, predictBox, updateTracker } from '../../../edge/track/tracker.js';
import type { TrackerState } from '../../../edge/track/tracker.js';

const OPTIONS = DEFAULT_TRACKER_OPTIONS;
const FRAME_MS = 200;
const W = 0.06;
const H = 0.2;

const boxAt = (cx: number, cy: number, w = W, h = H): NormBox => ({
  x1: cx - w / 2,
  y1: cy - h / 2,
  x2: cx + w / 2,
  y2: cy + h / 2,
});
const det = (box: NormBox, score = 0.9): Detection => ({ box, score, classId: 0 });

/** One box per frame (undefined: not detected); the id each box was given, and the states. */
function idsOf(boxes: readonly (NormBox | undefined)[]): { ids: (number | undefined)[]; states: TrackerState[] } {
  let state = EMPTY_TRACKER;
  const ids: (number | undefined)[] = [];
  const states: TrackerState[] = [];
  boxes.forEach((box, i) => {
    state = updateTracker(state, box ? [det(box)] : [], i * FRAME_MS, OPTIONS);
    states.push(state);
    ids.push(box ? state.tracks.find((t) => t.isUpdated && t.history.at(-1)!.box === box)?.id : undefined);
  });
  return { ids, states };
}

interface Walk {
  readonly cx: number;
  readonly cy: number;
  readonly vx: number;
  readonly vy: number;
  readonly noise: readonly { dx: number; dy: number; ds: number }[];
}

/**
 * A walker at constant velocity (up to 0.3 box widths per frame across) with noise of up to
 * `place` box sizes in its centre and `size` of its size, frame by frame.
 */
const arbWalk = (place: number, size: number): fc.Arbitrary<Walk> =>
  fc.record({
    cx: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
    cy: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
    vx: fc.double({ min: -0.3, max: 0.3, noNaN: true }),
    vy: fc.double({ min: -0.08, max: 0.08, noNaN: true }),
    noise: fc.array(
      fc.record({
        dx: fc.double({ min: -place, max: place, noNaN: true }),
        dy: fc.double({ min: -place, max: place, noNaN: true }),
        ds: fc.double({ min: -size, max: size, noNaN: true }),
      }),
      { minLength: 24, maxLength: 24 },
    ),
  });

/**
 * The walker's box at frame i; from frame `jumpAt` on, shifted by `shiftW` widths and scaled in
 * area by `areaFactor` (another person: a smaller one also moves less across the image).
 */
function walkerBox(walk: Walk, i: number, jump?: { at: number; shiftW: number; areaFactor: number }): NormBox {
  const n = walk.noise[i]!;
  const size = Math.sqrt(jump?.areaFactor ?? 1);
  const after = jump ? i - jump.at : 0;
  const frames = jump ? jump.at + after * size : i;
  const scale = size * (1 + n.ds);
  return boxAt(
    walk.cx + (walk.vx * frames + n.dx + (jump?.shiftW ?? 0)) * W,
    walk.cy + (walk.vy * frames + n.dy) * H,
    W * scale,
    H * scale,
  );
}

describe('tracker: identity switches', () => {
  it('a box that overlaps the prediction but jumps sideways starts a new track; the old one is lost', () => {
    const boxes = [0, 1, 2, 3, 4].map((i) => boxAt(0.3 + i * 0.2 * W, 0.5));
    // Next frame expected at 0.3 + 1.0 W; the box is 0.55 W beyond that: overlap still ~0.29.
    const jumped = boxAt(0.3 + 1.55 * W, 0.5);
    const { ids, states } = idsOf([...boxes, jumped]);
    expect(iou(predictBox(states[4]!.tracks[0]!, 5 * FRAME_MS), jumped)).toBeGreaterThan(OPTIONS.minIou);
    expect(ids).toEqual([1, 1, 1, 1, 1, 2]);
    expect(states[5]!.tracks.find((t) => t.id === 1)!.isUpdated).toBe(false);
    expect(states[5]!.switchesRefused).toBe(1);
  });

  it('a box that suddenly triples in area (two people merged, or another person) starts a new track', () => {
    const boxes = [0, 1, 2].map((i) => boxAt(0.5 + i * 0.1 * W, 0.5));
    const merged = boxAt(0.5 + 0.3 * W, 0.5, W * 1.8, H * 1.7);
    expect(idsOf([...boxes, merged]).ids).toEqual([1, 1, 1, 2]);
  });

  it('after a gap, the allowed shift grows with the time since the track was seen', () => {
    const boxes: (NormBox | undefined)[] = [0, 1, 2, 3].map((i) => boxAt(0.3, 0.5 + i * 0.0001));
    // Standing still, lost for 3 frames (800 ms since seen): 0.55 W off is within 0.25 + 0.8.
    expect(idsOf([...boxes, undefined, undefined, undefined, boxAt(0.3 + 0.55 * W, 0.5)]).ids.at(-1)).toBe(1);
    // The same offset one frame after being seen is a jump.
    expect(idsOf([...boxes, boxAt(0.3 + 0.55 * W, 0.5)]).ids.at(-1)).toBe(2);
  });

  it('property: a walker with bounded noise keeps one id, also across missed frames', () => {
    fc.assert(
      fc.property(
        arbWalk(0.03, 0.1),
        fc.integer({ min: 3, max: 12 }),
        fc.integer({ min: 0, max: 4 }),
        (walk, gapAt, gapFrames) => {
          const boxes = walk.noise.map((_, i) =>
            i >= gapAt && i < gapAt + gapFrames ? undefined : walkerBox(walk, i),
          );
          const { ids, states } = idsOf(boxes);
          expect(new Set(ids.filter((id) => id !== undefined))).toEqual(new Set([1]));
          expect(states.at(-1)!.switchesRefused).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a walker whose box jumps (position or size) is split exactly at the jump, and never again', () => {
    const arbJump = fc.oneof(
      fc.record({
        shiftW: fc.double({ min: 0.55, max: 0.6, noNaN: true }),
        sign: fc.constantFrom(-1, 1),
        areaFactor: fc.constant(1),
      }),
      fc.record({ shiftW: fc.constant(0), sign: fc.constant(1), areaFactor: fc.constantFrom(3.2, 4, 1 / 3.2, 1 / 4) }),
    );
    fc.assert(
      fc.property(arbWalk(0.005, 0.02), fc.integer({ min: 5, max: 16 }), arbJump, (walk, jumpAt, jump) => {
        const boxes = walk.noise.map((_, i) =>
          i < jumpAt
            ? walkerBox(walk, i)
            : walkerBox(walk, i, { at: jumpAt, shiftW: jump.shiftW * jump.sign, areaFactor: jump.areaFactor }),
        );
        const { ids, states } = idsOf(boxes);
        // Without the check the jump would have continued the track: it overlaps the prediction.
        const track = states[jumpAt - 1]!.tracks.find((t) => t.id === 1)!;
        expect(iou(predictBox(track, jumpAt * FRAME_MS), boxes[jumpAt]!)).toBeGreaterThanOrEqual(OPTIONS.minIou);
        expect(ids).toEqual(boxes.map((_, i) => (i < jumpAt ? 1 : 2)));
        expect(states.at(-1)!.switchesRefused).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
