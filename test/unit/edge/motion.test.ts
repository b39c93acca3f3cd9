import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MOTION_OPTIONS, detectMotion, lumaGrid, shouldDetect } from '../../../edge/motion/motion.js';

const W = 160;
const H = 120;

function frame(fill: number, square?: { x: number; y: number; size: number; value: number }): Buffer {
  const rgb = Buffer.alloc(W * H * 3, fill);
  if (square) {
    for (let y = square.y; y < square.y + square.size; y++)
      for (let x = square.x; x < square.x + square.size; x++)
        rgb.fill(square.value, (y * W + x) * 3, (y * W + x) * 3 + 3);
  }
  return rgb;
}

const grid = (rgb: Buffer) => lumaGrid(rgb, W, H, 32);

describe('motion gating', () => {
  it('a still scene has no motion after the first frame; a moving square has', () => {
    let { background } = detectMotion(undefined, grid(frame(90)), DEFAULT_MOTION_OPTIONS);
    const still = detectMotion(background, grid(frame(90)), DEFAULT_MOTION_OPTIONS);
    expect(still.reading.hasMotion).toBe(false);
    expect(still.reading.changedRatio).toBe(0);
    background = still.background;
    const moved = detectMotion(
      background,
      grid(frame(90, { x: 40, y: 40, size: 20, value: 220 })),
      DEFAULT_MOTION_OPTIONS,
    );
    expect(moved.reading.hasMotion).toBe(true);
    expect(moved.reading.changedRatio).toBeGreaterThan(0.01);
  });

  it('property: sensor noise below the cell threshold never counts as motion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 30, max: 200 }),
        fc.array(fc.integer({ min: -10, max: 10 }), { minLength: 5, maxLength: 5 }),
        (base, noise) => {
          let background;
          ({ background } = detectMotion(undefined, grid(frame(base)), DEFAULT_MOTION_OPTIONS));
          for (const n of noise) {
            const step = detectMotion(background, grid(frame(base + n)), DEFAULT_MOTION_OPTIONS);
            expect(step.reading.hasMotion).toBe(false);
            background = step.background;
          }
        },
      ),
    );
  });

  it('a flat view (covered lens) has near-zero luma spread; a scene has more', () => {
    const covered = detectMotion(undefined, grid(frame(3)), DEFAULT_MOTION_OPTIONS).reading;
    const scene = detectMotion(
      undefined,
      grid(frame(90, { x: 10, y: 10, size: 60, value: 230 })),
      DEFAULT_MOTION_OPTIONS,
    ).reading;
    expect(covered.lumaStddev).toBeLessThan(1);
    expect(scene.lumaStddev).toBeGreaterThan(20);
  });

  it('runs the detector on motion, on live tracks, or when the interval is up; always with gating off', () => {
    const base = {
      gatingEnabled: true,
      hasMotion: false,
      activeTracks: 0,
      msSinceLastDetect: 100,
      maxIntervalMs: 5000,
    };
    expect(shouldDetect(base)).toBe(false);
    expect(shouldDetect({ ...base, hasMotion: true })).toBe(true);
    expect(shouldDetect({ ...base, activeTracks: 1 })).toBe(true);
    expect(shouldDetect({ ...base, msSinceLastDetect: 5000 })).toBe(true);
    expect(shouldDetect({ ...base, gatingEnabled: false })).toBe(true);
  });
});
