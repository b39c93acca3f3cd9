import { describe, expect, it } from 'vitest';
import { iou, nonMaxSuppression } from '../../../edge/detect/detection.js';
import { fitLetterbox, letterboxBgrTensor, resizeToPlanarTensor } from '../../../edge/detect/letterbox.js';
import { decodeYolox, yoloxAnchorCount } from '../../../edge/detect/yolox.js';

const OPTIONS = { inputSizePx: 416, strides: [8, 16, 32], numClasses: 80, classIds: [0], minScore: 0.3 };

function outputWith(
  anchor: number,
  values: { cx: number; cy: number; w: number; h: number; obj: number; person: number },
): Float32Array {
  const out = new Float32Array(yoloxAnchorCount(416, [8, 16, 32]) * 85);
  out.set([values.cx, values.cy, values.w, values.h, values.obj, values.person], anchor * 85);
  return out;
}

describe('YOLOX decoding', () => {
  it('counts 3549 anchors for 416 px at strides 8/16/32', () => {
    expect(yoloxAnchorCount(416, [8, 16, 32])).toBe(3549);
  });

  it('decodes a stride-16 anchor onto the grid and back through the letterbox', () => {
    // stride 16 starts after 52*52 = 2704 stride-8 anchors; cell (gx=3, gy=2) is 2*26+3 further.
    const anchor = 2704 + 2 * 26 + 3;
    const out = outputWith(anchor, { cx: 0.5, cy: 0.5, w: Math.log(2), h: Math.log(4), obj: 0.9, person: 0.8 });
    const box = fitLetterbox(832, 416, 416); // scale 0.5
    const [d] = decodeYolox(out, OPTIONS, box, 832, 416);
    // centre (3.5*16, 2.5*16) = (56, 40) model px = (112, 80) frame px; size 32x64 model px = 64x128 frame px
    expect(d!.score).toBeCloseTo(0.72, 5);
    expect(d!.box.x1).toBeCloseTo((112 - 32) / 832, 5);
    expect(d!.box.x2).toBeCloseTo((112 + 32) / 832, 5);
    expect(d!.box.y1).toBeCloseTo((80 - 64) / 416, 5);
    expect(d!.box.y2).toBeCloseTo((80 + 64) / 416, 5);
  });

  it('drops anchors under the minimum score and clamps boxes to the frame', () => {
    const weak = outputWith(0, { cx: 0, cy: 0, w: 0, h: 0, obj: 0.5, person: 0.5 });
    expect(decodeYolox(weak, OPTIONS, fitLetterbox(416, 416, 416), 416, 416)).toHaveLength(0);
    const edge = outputWith(0, { cx: 0, cy: 0, w: Math.log(10), h: Math.log(10), obj: 1, person: 1 });
    const [d] = decodeYolox(edge, OPTIONS, fitLetterbox(416, 416, 416), 416, 416);
    expect(d!.box.x1).toBe(0);
    expect(d!.box.y1).toBe(0);
  });
});

describe('letterbox', () => {
  it('fits the long side and keeps the aspect ratio', () => {
    expect(fitLetterbox(768, 576, 416)).toEqual({ scale: 416 / 768, resizedWidthPx: 416, resizedHeightPx: 312 });
  });

  it('writes BGR planes top-left and pads the rest', () => {
    const rgb = new Uint8Array([10, 20, 30]); // one pixel
    const t = letterboxBgrTensor(rgb, 1, 1, { scale: 1, resizedWidthPx: 1, resizedHeightPx: 1 }, 2, 114);
    expect(Array.from(t)).toEqual([30, 114, 114, 114, 20, 114, 114, 114, 10, 114, 114, 114]);
  });

  it('resizes bilinearly: a halved 4x1 ramp averages neighbour pairs; a flat image stays flat', () => {
    const ramp = new Uint8Array([0, 0, 0, 40, 40, 40, 80, 80, 80, 120, 120, 120]);
    const target = {
      tensorWidthPx: 2,
      tensorHeightPx: 1,
      resizedWidthPx: 2,
      resizedHeightPx: 1,
      offset: 0,
      scale: 1,
      padValue: 0,
    };
    const t = resizeToPlanarTensor(ramp, 4, 1, { ...target, channels: [0, 1, 2] });
    expect(Array.from(t.subarray(0, 2))).toEqual([20, 100]);
    const flat = new Uint8Array(6 * 4 * 3).fill(127);
    const u = resizeToPlanarTensor(flat, 6, 4, {
      ...target,
      tensorWidthPx: 3,
      tensorHeightPx: 2,
      resizedWidthPx: 3,
      resizedHeightPx: 2,
      channels: [0, 1, 2],
      offset: 127,
      scale: 1 / 128,
    });
    expect(Array.from(u).every((v) => v === 0)).toBe(true);
  });
});

describe('non-maximum suppression', () => {
  const box = (x: number) => ({ x1: x, y1: 0, x2: x + 0.2, y2: 0.2 });

  it('keeps the best of overlapping boxes and every separate one', () => {
    const kept = nonMaxSuppression(
      [
        { box: box(0), score: 0.5, classId: 0 },
        { box: box(0.01), score: 0.9, classId: 0 },
        { box: box(0.6), score: 0.4, classId: 0 },
      ],
      0.45,
    );
    expect(kept.map((d) => d.score)).toEqual([0.9, 0.4]);
  });

  it('iou is 1 for identical boxes and 0 for disjoint ones', () => {
    expect(iou(box(0), box(0))).toBeCloseTo(1);
    expect(iou(box(0), box(0.5))).toBe(0);
  });
});
