import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NormBox } from '../../../edge/detect/detection.js';
import { isPlannedKeyframe, planEvidence } from '../../../edge/evidence/plan.js';
import { evidenceSequence } from '../../../edge/redact/evidence-sequence.js';
import { keepRegions, needToKnowBlockPx, offenderBoxAt, pixelateOutside } from '../../../edge/redact/need-to-know.js';
import { EvidenceRedactor } from '../../../edge/redact/redactor.js';
import type { FrameRedaction, RedactionResult, Redactor } from '../../../edge/redact/redactor.js';
import { RedactionSequence } from '../../../edge/redact/sequence.js';
import type { SequenceFrame } from '../../../edge/redact/sequence.js';

const WINDOW = { clipBeforeMs: 3000, clipAfterMs: 3000, keyframeOffsetMs: 1000 };

/** Records what each frame was asked for; finds a face at `faceAt` on every searched frame. */
class RecordingRedactor implements Redactor {
  readonly calls: { persons: readonly NormBox[]; frame: FrameRedaction }[] = [];
  constructor(readonly faceAt?: NormBox) {}
  redact(rgb: Buffer, _w: number, _h: number, persons: readonly NormBox[], frame: FrameRedaction = {}) {
    this.calls.push({ persons, frame });
    const searched = (frame.search ?? 'full') !== 'none';
    return Promise.resolve({
      rgb,
      method: 'pixelate',
      mode: frame.keep ? 'need-to-know' : 'standard',
      faceSearch: 'multi-scale',
      facesFound: 0,
      headsMasked: persons.length,
      residualFacesFilled: 0,
      detectorIds: [],
      search: frame.search ?? 'full',
      faceBoxes: searched && this.faceAt ? [this.faceAt] : [],
    } satisfies RedactionResult);
  }
}

const tiny = Buffer.alloc(3);
function frames(n: number, stepMs = 200, boxes: (i: number) => NormBox[] = () => []): SequenceFrame[] {
  return Array.from({ length: n }, (_, i) => ({
    frame: { rgb: tiny, widthPx: 1, heightPx: 1, capturedAtMs: i * stepMs },
    maskBoxes: boxes(i),
  }));
}

describe('keyframes known one frame ahead', () => {
  it('property: the frames isPlannedKeyframe marks, seeing one frame ahead, are the keyframes planEvidence picks', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 12_000 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.integer({ min: 0, max: 2000 }),
        (raw, e, dwell) => {
          const times = [...raw].sort((a, b) => a - b);
          const entryMs = times[e % times.length]!;
          const decided = times.find((t) => t >= entryMs + dwell) ?? entryMs;
          const planned = new Set(planEvidence(times, entryMs, decided, WINDOW).keyframes.map((k) => k.atMs));
          const marked = new Set(
            times.filter((_, i) => isPlannedKeyframe(times.slice(0, i + 2), i, entryMs, decided, WINDOW)),
          );
          // Every planned keyframe is marked; marked extras can only be entry/decision duplicates.
          for (const t of planned) expect(marked.has(t)).toBe(true);
          for (const t of marked) expect(planned.has(t)).toBe(true);
        },
      ),
    );
  });
});

describe('a redaction sequence', () => {
  it('searches in full on the first frame, then at the cadence, lightly in between, and never out of order', async () => {
    const redactor = new RecordingRedactor();
    const seq = new RedactionSequence(redactor, { cadence: { fullEveryFrames: 4, lightEveryFrames: 2 } });
    const fs = frames(9);
    for (let i = 0; i < fs.length; i++) await seq.redactAt(fs, i);
    expect(redactor.calls.map((c) => c.frame.search)).toEqual([
      'full',
      'none',
      'light',
      'none',
      'full',
      'none',
      'light',
      'none',
      'full',
    ]);
    await expect(seq.redactAt(fs, 3)).rejects.toMatchObject({ code: 'EDGE_REDACTION_FAILED' });
  });

  it('carries a face found on a searched frame to the frames after it, moving with its person', async () => {
    const person = (i: number): NormBox => ({ x1: 0.1 + 0.01 * i, y1: 0.2, x2: 0.15 + 0.01 * i, y2: 0.4 });
    const redactor = new RecordingRedactor({ x1: 0.115, y1: 0.21, x2: 0.135, y2: 0.24 });
    const seq = new RedactionSequence(redactor, { cadence: { fullEveryFrames: 10, lightEveryFrames: 10 } });
    const fs = frames(4, 200, (i) => [person(i)]);
    for (let i = 0; i < fs.length; i++) await seq.redactAt(fs, i);
    const carried = redactor.calls[3]!.frame.carriedFaces!;
    expect(carried).toHaveLength(1);
    // Moved three frames on with the person (0.03), widened a little for jitter.
    const cx = (carried[0]!.x1 + carried[0]!.x2) / 2;
    expect(cx).toBeCloseTo(0.125 + 0.03, 6);
    expect(carried[0]!.x1).toBeLessThan(0.115 + 0.03);
  });

  it('evidence: keyframes are searched in full; need-to-know keeps only the zone and the offender sharp', async () => {
    const redactor = new RecordingRedactor();
    const fs = frames(31, 200, (i) => [{ x1: 0.3 + 0.005 * i, y1: 0.5, x2: 0.34 + 0.005 * i, y2: 0.7 }]);
    const entryMs = 3000;
    const seq = evidenceSequence(
      redactor,
      { cadence: { fullEveryFrames: 100, lightEveryFrames: 100 }, needToKnow: true },
      {
        entryMs,
        decidedMs: 3400,
        window: WINDOW,
        zonePolygon: [
          [0.45, 0.28],
          [0.62, 0.28],
          [0.66, 0.62],
          [0.48, 0.62],
        ],
        offender: [{ capturedAtMs: 3000, box: { x1: 0.375, y1: 0.5, x2: 0.415, y2: 0.7 }, score: 0.9 }],
      },
    );
    for (let i = 0; i < fs.length; i++) await seq.redactAt(fs, i);
    const full = redactor.calls.flatMap((c, i) => (c.frame.search === 'full' ? [i * 200] : []));
    expect(full).toEqual([0, 2000, 3000, 3400, 4000]);
    for (const c of redactor.calls) {
      expect(c.frame.keep).toHaveLength(2);
      expect(c.frame.keep![0]!.x1).toBeLessThan(0.45);
    }
    // The offender's box follows the person box past the track's last point.
    const last = redactor.calls.at(-1)!.frame.keep![1]!;
    expect((last.x1 + last.x2) / 2).toBeCloseTo(0.32 + 0.005 * 30, 6);
  });
});

describe('need-to-know', () => {
  it('property: pixels inside the kept regions are untouched; outside, every block is flat', () => {
    const w = 40;
    const h = 30;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: w * h * 3, maxLength: w * h * 3 }), (px) => {
        const original = Buffer.from(px);
        const rgb = Buffer.from(original);
        const keep = keepRegions({ x1: 0.4, y1: 0.4, x2: 0.5, y2: 0.5 }, undefined);
        const block = needToKnowBlockPx(w);
        expect(block).toBe(2);
        pixelateOutside(rgb, w, h, keep, block);
        const k = keep[0]!;
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const i = (y * w + x) * 3;
            const inside =
              x >= Math.floor(k.x1 * w) &&
              x < Math.ceil(k.x2 * w) &&
              y >= Math.floor(k.y1 * h) &&
              y < Math.ceil(k.y2 * h);
            if (inside) expect(rgb.subarray(i, i + 3)).toEqual(original.subarray(i, i + 3));
            else {
              const bx = x - (x % block);
              const by = y - (y % block);
              const j = (by * w + bx) * 3;
              const insideCorner =
                bx >= Math.floor(k.x1 * w) &&
                bx < Math.ceil(k.x2 * w) &&
                by >= Math.floor(k.y1 * h) &&
                by < Math.ceil(k.y2 * h);
              if (!insideCorner) expect(rgb.subarray(i, i + 3)).toEqual(rgb.subarray(j, j + 3));
            }
          }
        }
      }),
      { numRuns: 20 },
    );
  });

  it('property: outside the kept regions each pixel is its block mean in the original (blocks wholly kept are skipped, not changed)', () => {
    const arbKeep = fc
      .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
      .chain(([x, y]) =>
        fc
          .tuple(fc.double({ min: 0, max: 0.7, noNaN: true }), fc.double({ min: 0, max: 0.7, noNaN: true }))
          .map(([dw, dh]) => ({ x1: x, y1: y, x2: Math.min(1, x + dw), y2: Math.min(1, y + dh) })),
      );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(arbKeep, { maxLength: 3 }),
        fc.integer(),
        (w, h, block, keep, seed) => {
          const original = Buffer.alloc(w * h * 3);
          for (let i = 0; i < original.length; i++) original[i] = (Math.imul(i + 1, 2654435761) ^ seed) >>> 24;
          const rgb = Buffer.from(original);
          pixelateOutside(rgb, w, h, keep, block);
          const kept = (x: number, y: number): boolean =>
            keep.some(
              (k) =>
                x >= Math.floor(k.x1 * w) &&
                x < Math.ceil(k.x2 * w) &&
                y >= Math.floor(k.y1 * h) &&
                y < Math.ceil(k.y2 * h),
            );
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              const i = (y * w + x) * 3;
              if (kept(x, y)) {
                expect(rgb.subarray(i, i + 3)).toEqual(original.subarray(i, i + 3));
                continue;
              }
              const bx = x - (x % block);
              const by = y - (y % block);
              const sum = [0, 0, 0];
              let n = 0;
              for (let yy = by; yy < Math.min(h, by + block); yy++)
                for (let xx = bx; xx < Math.min(w, bx + block); xx++, n++)
                  for (let c = 0; c < 3; c++) sum[c]! += original[(yy * w + xx) * 3 + c]!;
              expect([...rgb.subarray(i, i + 3)]).toEqual(sum.map((v) => Math.round(v / n)));
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the offender box is the track observation, else the person box that continues it, else the last one', () => {
    const a = { x1: 0.1, y1: 0.1, x2: 0.2, y2: 0.4 };
    const b = { x1: 0.11, y1: 0.1, x2: 0.21, y2: 0.4 };
    const history = [{ capturedAtMs: 100, box: a, score: 0.9 }];
    expect(offenderBoxAt(history, 100, undefined, [b])).toEqual(a);
    expect(offenderBoxAt(history, 300, a, [b, { x1: 0.8, y1: 0.1, x2: 0.9, y2: 0.4 }])).toEqual(b);
    expect(offenderBoxAt(history, 300, a, [])).toEqual(a);
    expect(offenderBoxAt([], 300, undefined, [b])).toBeUndefined();
  });

  it('the redactor pixelates outside what is kept, whatever it found, and says need-to-know', async () => {
    const w = 40;
    const h = 40;
    const input = Buffer.alloc(w * h * 3);
    for (let i = 0; i < input.length; i++) input[i] = (i * 97 + 13) % 256;
    const redactor = new EvidenceRedactor({
      method: 'pixelate',
      minBlockPx: 2,
      personDetectorId: 'p',
      faceMarginRatio: 0,
    });
    const keep = [{ x1: 0.5, y1: 0.5, x2: 1, y2: 1 }];
    const result = await redactor.redact(input, w, h, [], { keep });
    expect(result.mode).toBe('need-to-know');
    const at = (buf: Buffer, x: number, y: number): Buffer => buf.subarray((y * w + x) * 3, (y * w + x) * 3 + 3);
    expect(at(result.rgb, 30, 30)).toEqual(at(input, 30, 30));
    expect(at(result.rgb, 0, 0)).not.toEqual(at(input, 0, 0));
    expect(at(result.rgb, 0, 0)).toEqual(at(result.rgb, 1, 1));
    expect((await redactor.redact(input, w, h, [])).mode).toBe('standard');
  });
});
