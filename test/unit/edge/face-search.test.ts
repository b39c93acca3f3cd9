import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormBox } from '../../../edge/detect/detection.js';
import { canvasTensor, mapCanvasFaces, packWindows, packWindowsTwoSizes } from '../../../edge/detect/face-windows.js';
import type { FaceWindow } from '../../../edge/detect/face-windows.js';
import { anchorFaces, carriedMask, carryFaces, mergeCarried } from '../../../edge/redact/carry-faces.js';
import { dropDominated, isCovered, planFaceWindows, tileWindows } from '../../../edge/redact/face-plan.js';
import type { FacePlanOptions } from '../../../edge/redact/face-plan.js';

const W = 768;
const H = 576;
const PLAN: FacePlanOptions = {
  widthPx: W,
  heightPx: H,
  canvasWidthPx: 640,
  canvasHeightPx: 480,
  tileScale: 2,
  tileOverlapPx: 96,
};

const arbBox = fc
  .tuple(
    fc.double({ min: 0, max: 0.95, noNaN: true }),
    fc.double({ min: 0, max: 0.95, noNaN: true }),
    fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    fc.double({ min: 0.01, max: 0.5, noNaN: true }),
  )
  .map(([x, y, w, h]) => ({ x1: x, y1: y, x2: Math.min(1, x + w), y2: Math.min(1, y + h) }));

const arbWindow = fc.record({ box: arbBox, scale: fc.double({ min: 0.2, max: 4, noNaN: true }) });

const overlaps = (a: { x: number; y: number; w: number; h: number }, b: typeof a): boolean =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('face windows packed onto model inputs', () => {
  it('property: every window is placed once, inside a canvas, without overlapping another, at no more than its scale', () => {
    fc.assert(
      fc.property(fc.array(arbWindow, { maxLength: 40 }), (windows) => {
        const canvases = packWindows(windows, W, H, 640, 480);
        const placed = canvases.flatMap((c) => c.placements);
        expect(placed).toHaveLength(windows.length);
        for (const c of canvases) {
          for (const [i, p] of c.placements.entries()) {
            expect(p.dst.x).toBeGreaterThanOrEqual(0);
            expect(p.dst.y).toBeGreaterThanOrEqual(0);
            expect(p.dst.x + p.dst.w).toBeLessThanOrEqual(640);
            expect(p.dst.y + p.dst.h).toBeLessThanOrEqual(480);
            for (const q of c.placements.slice(i + 1)) expect(overlaps(p.dst, q.dst)).toBe(false);
          }
        }
      }),
    );
  });

  it('property: two input sizes place every window once, never smaller than the large input would, at no more cost', () => {
    const large = { widthPx: 640, heightPx: 480 };
    const small = { widthPx: 320, heightPx: 240 };
    fc.assert(
      fc.property(fc.array(arbWindow, { maxLength: 40 }), (windows) => {
        const sized = packWindowsTwoSizes(windows, W, H, large, small, 0.35);
        const placed = sized.flatMap((c) => c.placements);
        expect(placed).toHaveLength(windows.length);
        // Each window's drawn size on the large-only packing, by source rectangle.
        const drawn = packWindows(windows, W, H, 640, 480).flatMap((c) => c.placements);
        for (const c of sized) {
          const size = c.size === 'small' ? small : large;
          for (const [i, p] of c.placements.entries()) {
            expect(p.dst.x + p.dst.w).toBeLessThanOrEqual(size.widthPx);
            expect(p.dst.y + p.dst.h).toBeLessThanOrEqual(size.heightPx);
            for (const q of c.placements.slice(i + 1)) expect(overlaps(p.dst, q.dst)).toBe(false);
            const same = drawn.filter((d) => d.src.x === p.src.x && d.src.y === p.src.y && d.src.w === p.src.w);
            // Rounding aside (1 px), no window is drawn smaller than on a large input.
            expect(same.some((d) => p.dst.w >= d.dst.w - 1 && p.dst.h >= d.dst.h - 1)).toBe(true);
          }
        }
        const cost = (cs: readonly { size: string }[]): number =>
          cs.reduce((n, c) => n + (c.size === 'small' ? 0.35 : 1), 0);
        expect(cost(sized)).toBeLessThanOrEqual(packWindows(windows, W, H, 640, 480).length);
      }),
    );
  });

  it('puts small windows on small inputs and a window too big for one on a large input', () => {
    const large = { widthPx: 640, heightPx: 480 };
    const small = { widthPx: 320, heightPx: 240 };
    const head: FaceWindow = { box: { x1: 0.5, y1: 0.1, x2: 0.55, y2: 0.2 }, scale: 4 }; // 38x58 px at 4x: 154x230
    const tile: FaceWindow = { box: { x1: 0.4, y1: 0.2, x2: 0.65, y2: 0.6 }, scale: 2 }; // 192x230 px at 2x: 384x461
    expect(packWindowsTwoSizes([head], W, H, large, small, 0.35).map((c) => c.size)).toEqual(['small']);
    expect(packWindowsTwoSizes([tile], W, H, large, small, 0.35).map((c) => c.size)).toEqual(['large']);
    // The head fits beside the tile on the large input: one large canvas costs less than large + small.
    expect(packWindowsTwoSizes([tile, head], W, H, large, small, 0.35).map((c) => c.size)).toEqual(['large']);
    // Without a cheaper small input, everything stays on large ones.
    expect(packWindowsTwoSizes([head], W, H, large, large, 1).map((c) => c.size)).toEqual(['large']);
  });

  it('property: a face found on a canvas maps back to the frame inside its window', () => {
    fc.assert(
      fc.property(fc.array(arbWindow, { minLength: 1, maxLength: 12 }), fc.nat(), (windows, n) => {
        const canvases = packWindows(windows, W, H, 640, 480);
        const canvas = canvases[n % canvases.length]!;
        const p = canvas.placements[n % canvas.placements.length]!;
        // A face in the middle of that placement, in canvas-normalised coordinates.
        const face = {
          box: {
            x1: (p.dst.x + p.dst.w * 0.25) / 640,
            y1: (p.dst.y + p.dst.h * 0.25) / 480,
            x2: (p.dst.x + p.dst.w * 0.75) / 640,
            y2: (p.dst.y + p.dst.h * 0.75) / 480,
          },
          score: 0.9,
        };
        const [mapped] = mapCanvasFaces([face], canvas, 640, 480, W, H);
        expect(mapped).toBeDefined();
        const eps = 1e-6;
        expect(mapped!.box.x1).toBeGreaterThanOrEqual(p.src.x / W - eps);
        expect(mapped!.box.x2).toBeLessThanOrEqual((p.src.x + p.src.w) / W + eps);
        expect(mapped!.box.y1).toBeGreaterThanOrEqual(p.src.y / H - eps);
        expect(mapped!.box.y2).toBeLessThanOrEqual((p.src.y + p.src.h) / H + eps);
        // The middle half of the window, in frame coordinates.
        expect(mapped!.box.x1 * W).toBeCloseTo(p.src.x + p.src.w * 0.25, 3);
        expect(mapped!.box.y2 * H).toBeCloseTo(p.src.y + p.src.h * 0.75, 3);
      }),
    );
  });

  it('draws each window enlarged where it is placed, and leaves the gaps as padding', () => {
    // A frame whose red channel is the column and green the row: a window's pixels say where they came from.
    const w = 64;
    const h = 48;
    const rgb = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set([x * 4, y * 4, 0], (y * w + x) * 3);
    const window: FaceWindow = { box: { x1: 0.5, y1: 0.5, x2: 0.75, y2: 0.75 }, scale: 2 };
    const [canvas] = packWindows([window], w, h, 64, 48);
    const p = canvas!.placements[0]!;
    expect(p.dst).toEqual({ x: 0, y: 0, w: 32, h: 24 });
    const t = canvasTensor(rgb, w, h, canvas!, 64, 48, { channels: [0, 1, 2], offset: 0, scale: 1, padValue: -1 });
    // Pixel centres aligned as OpenCV does: canvas pixel (0,0) samples frame (31.75, 23.75), (31,23) about (47.25, 35.25).
    expect(t[0]).toBeCloseTo(31.75 * 4, 0);
    expect(t[64 * 48]).toBeCloseTo(23.75 * 4, 0);
    expect(t[23 * 64 + 31]).toBeGreaterThan(46 * 4);
    expect(t[40 * 64 + 50]).toBe(-1);
  });
});

describe('where faces are looked for', () => {
  it('property: 2x tiles cover the region, each within one canvas at 2x, every face up to 48 px whole in one', () => {
    fc.assert(
      fc.property(arbBox, (region) => {
        const tiles = tileWindows(region, PLAN);
        for (const t of tiles) {
          expect((t.box.x2 - t.box.x1) * W * 2).toBeLessThanOrEqual(640 + 1e-6);
          expect((t.box.y2 - t.box.y1) * H * 2).toBeLessThanOrEqual(480 + 1e-6);
        }
        // Every point of the region, and every 48 px face (96 model px at 2x) in it, lies whole in some tile.
        for (let i = 0; i <= 10; i++) {
          for (let j = 0; j <= 10; j++) {
            const x = region.x1 + ((region.x2 - region.x1) * i) / 10;
            const y = region.y1 + ((region.y2 - region.y1) * j) / 10;
            const face = {
              x1: Math.max(region.x1, x - 24 / W),
              y1: Math.max(region.y1, y - 24 / H),
              x2: Math.min(region.x2, x + 24 / W),
              y2: Math.min(region.y2, y + 24 / H),
            };
            const whole = tiles.some(
              (t) =>
                face.x1 >= t.box.x1 - 1e-9 &&
                face.x2 <= t.box.x2 + 1e-9 &&
                face.y1 >= t.box.y1 - 1e-9 &&
                face.y2 <= t.box.y2 + 1e-9,
            );
            expect(whole).toBe(true);
          }
        }
      }),
    );
  });

  it('a 768x576 frame takes 9 tiles at 2x on a 640x480 model; a 4000x3000 photo adds a level at 0.5x', () => {
    expect(tileWindows({ x1: 0, y1: 0, x2: 1, y2: 1 }, PLAN)).toHaveLength(9);
    const photo = tileWindows({ x1: 0, y1: 0, x2: 1, y2: 1 }, { ...PLAN, widthPx: 4000, heightPx: 3000 });
    expect(new Set(photo.map((w) => w.scale))).toEqual(new Set([2, 0.5]));
  });

  it('light search: no tiles; full search: tiles; windows inside masks are skipped; persons get an enlarged upper box', () => {
    const whole = [{ x1: 0, y1: 0, x2: 1, y2: 1 }];
    const person = { x1: 0.5, y1: 0.5, x2: 0.53, y2: 0.62 };
    const light = planFaceWindows({ regions: whole, persons: [person], masked: [], search: 'light' }, PLAN);
    expect(light).toHaveLength(2);
    expect(light[1]!.scale).toBeGreaterThan(2);
    expect(light[1]!.box.y1).toBeLessThan(person.y1);
    const full = planFaceWindows({ regions: whole, persons: [person], masked: [], search: 'full' }, PLAN);
    expect(full).toHaveLength(11);
    expect(planFaceWindows({ regions: whole, persons: [person], masked: [], search: 'none' }, PLAN)).toEqual([]);
    const maskedUpper = planFaceWindows(
      { regions: whole, persons: [person], masked: [{ x1: 0.4, y1: 0.4, x2: 0.6, y2: 0.7 }], search: 'light' },
      PLAN,
    );
    expect(maskedUpper).toHaveLength(1);
  });

  it('a window inside another searched at the same or a larger scale is dropped; of twins one stays', () => {
    const tile = { box: { x1: 0, y1: 0, x2: 0.5, y2: 0.5 }, scale: 2 };
    const crop = (scale: number) => ({ box: { x1: 0.1, y1: 0.1, x2: 0.2, y2: 0.2 }, scale });
    expect(dropDominated([tile, crop(1.5)])).toEqual([tile]);
    expect(dropDominated([tile, crop(3)])).toEqual([tile, crop(3)]);
    expect(dropDominated([crop(3), crop(3)])).toEqual([crop(3)]);
  });

  it('a box is covered only when the masks cover all of it', () => {
    const box = { x1: 0.2, y1: 0.2, x2: 0.4, y2: 0.4 };
    expect(isCovered(box, [])).toBe(false);
    expect(isCovered(box, [{ x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.5 }])).toBe(false);
    expect(
      isCovered(box, [
        { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.5 },
        { x1: 0.3, y1: 0.1, x2: 0.5, y2: 0.5 },
      ]),
    ).toBe(true);
  });
});

describe('faces carried between searches', () => {
  const person = (x: number): NormBox => ({ x1: x, y1: 0.2, x2: x + 0.05, y2: 0.4 });
  const face = (x: number): NormBox => ({ x1: x + 0.015, y1: 0.21, x2: x + 0.035, y2: 0.24 });

  it('a face moves with the person box it was found in', () => {
    let carried = anchorFaces([face(0.1)], [person(0.1), { x1: 0, y1: 0, x2: 1, y2: 1 }]);
    expect(carried[0]!.anchor).toEqual(person(0.1));
    for (const x of [0.11, 0.12, 0.13]) carried = carryFaces(carried, [person(x)]);
    expect(carried[0]!.box.x1).toBeCloseTo(face(0.13).x1, 6);
    expect(carried[0]!.framesAdrift).toBe(0);
  });

  it('property: a face with no person to follow stays covered by its mask, which grows every frame', () => {
    fc.assert(
      fc.property(arbBox, fc.integer({ min: 1, max: 8 }), (box, frames) => {
        let carried = anchorFaces([box], []);
        let previous = carriedMask(carried[0]!);
        for (let i = 0; i < frames; i++) {
          carried = carryFaces(carried, []);
          const mask = carriedMask(carried[0]!);
          expect(mask.x1).toBeLessThanOrEqual(previous.x1);
          expect(mask.x2).toBeGreaterThanOrEqual(previous.x2);
          expect(mask.x1).toBeLessThanOrEqual(box.x1);
          expect(mask.y2).toBeGreaterThanOrEqual(box.y2);
          previous = mask;
        }
      }),
    );
  });

  it('a carried face no new search replaces is kept until it is too old', () => {
    const old = carryFaces(anchorFaces([face(0.5)], []), []);
    expect(mergeCarried([], old, 4)).toHaveLength(1);
    expect(mergeCarried(anchorFaces([face(0.5)], []), old, 4)).toHaveLength(1);
    let aged = old;
    for (let i = 0; i < 4; i++) aged = carryFaces(aged, []);
    expect(mergeCarried([], aged, 4)).toEqual([]);
  });
});
