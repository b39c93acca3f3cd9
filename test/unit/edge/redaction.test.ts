import { describe, expect, it } from 'vitest';
import { EdgeErrorCode } from '../../../edge/errors.js';
import { headRegion } from '../../../edge/redact/head-region.js';
import { pixelateRegion } from '../../../edge/redact/pixelate.js';
import { EvidenceRedactor } from '../../../edge/redact/redactor.js';
import type { FaceDetector } from '../../../edge/detect/face-detector.js';
import type { FaceBox } from '../../../edge/detect/ultraface.js';

/** A face detector that answers `find` for the whole frame and for any windows alike. */
function fakeFaces(id: string, find: (rgb: Buffer) => Promise<FaceBox[]>): FaceDetector {
  return {
    model: { id, sha256: '0' },
    inputSizePx: { widthPx: 320, heightPx: 240 },
    detectFaces: find,
    detectFacesIn: (rgb) => find(rgb),
    dispose: () => Promise.resolve(),
  };
}

const W = 40;
const H = 40;

/** A noisy image: every pixel differs from its neighbours. */
function noise(): Buffer {
  const rgb = Buffer.alloc(W * H * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 97 + 13) % 256;
  return rgb;
}

function pixel(rgb: Buffer, x: number, y: number): number[] {
  const i = (y * W + x) * 3;
  return [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
}

describe('pixelation', () => {
  it('flattens the region into blocks of one colour and leaves the rest alone', () => {
    const original = noise();
    const rgb = Buffer.from(original);
    pixelateRegion(rgb, W, H, { x1: 0, y1: 0, x2: 0.5, y2: 0.5 }, 5);
    // region is 20x20 px: blocks of max(5, 20/4) = 5 px
    expect(pixel(rgb, 0, 0)).toEqual(pixel(rgb, 4, 4));
    expect(pixel(rgb, 0, 0)).not.toEqual(pixel(original, 0, 0));
    expect(rgb.subarray(20 * W * 3)).toEqual(original.subarray(20 * W * 3));
    expect(pixel(rgb, 30, 5)).toEqual(pixel(original, 30, 5));
  });

  it('the head region is the top of the person box', () => {
    const head = headRegion({ x1: 0.4, y1: 0.2, x2: 0.5, y2: 0.6 });
    expect(head.y1).toBeLessThan(0.2);
    expect(head.y2).toBeCloseTo(0.2 + 0.3 * 0.4);
    expect(head.x1).toBeLessThan(0.4);
    expect(head.x2).toBeGreaterThan(0.5);
  });

  const OPTIONS = { method: 'pixelate' as const, minBlockPx: 2, personDetectorId: 'yolox-nano', faceMarginRatio: 0 };

  it('the redactor masks every person, never touches its input, and attests what it did', async () => {
    const input = noise();
    const copy = Buffer.from(input);
    const result = await new EvidenceRedactor(OPTIONS).redact(input, W, H, [
      { x1: 0, y1: 0, x2: 0.5, y2: 1 },
      { x1: 0.5, y1: 0, x2: 1, y2: 1 },
    ]);
    expect(input).toEqual(copy);
    expect(result.headsMasked).toBe(2);
    expect(result.detectorIds).toEqual(['yolox-nano']);
    expect(pixel(result.rgb, 1, 1)).toEqual(pixel(result.rgb, 2, 2));
  });

  it('masks faces the face detector finds even where no person was detected, with solid fill', async () => {
    let calls = 0;
    const faces = fakeFaces('ultraface-test', () =>
      Promise.resolve(calls++ === 0 ? [{ box: { x1: 0.5, y1: 0.5, x2: 0.75, y2: 0.75 }, score: 0.9 }] : []),
    );
    const result = await new EvidenceRedactor({ ...OPTIONS, method: 'solid' }, faces).redact(noise(), W, H, []);
    expect(result).toMatchObject({
      facesFound: 1,
      headsMasked: 0,
      method: 'solid',
      detectorIds: ['ultraface-test', 'yolox-nano'],
    });
    expect(pixel(result.rgb, 25, 25)).toEqual([128, 128, 128]);
    expect(pixel(result.rgb, 5, 5)).toEqual(pixel(noise(), 5, 5));
  });

  it('looks again after masking, and fills solid a face still found (a mosaic that reads as one)', async () => {
    const seen: Buffer[] = [];
    // Finds nothing in the frame, and a face where the person's head mosaic is.
    const faces = fakeFaces('ultraface-test', (rgb) => {
      seen.push(Buffer.from(rgb));
      return Promise.resolve(seen.length === 1 ? [] : [{ box: { x1: 0, y1: 0, x2: 0.5, y2: 0.2 }, score: 0.4 }]);
    });
    const input = noise();
    const result = await new EvidenceRedactor(OPTIONS, faces).redact(input, W, H, [{ x1: 0, y1: 0, x2: 0.5, y2: 1 }]);
    expect(result).toMatchObject({ facesFound: 0, headsMasked: 1, residualFacesFilled: 1 });
    // The second look saw the masked image, not the frame.
    expect(seen[0]).toEqual(input);
    expect(seen[1]).not.toEqual(input);
    expect(pixel(result.rgb, 2, 2)).toEqual([128, 128, 128]);
    expect(pixel(result.rgb, 35, 35)).toEqual(pixel(input, 35, 35));
  });

  it('fails closed on a frame of the wrong size, or when face detection fails', async () => {
    const redactor = new EvidenceRedactor(OPTIONS);
    await expect(redactor.redact(Buffer.alloc(10), W, H, [])).rejects.toMatchObject({
      code: EdgeErrorCode.REDACTION_FAILED,
    });
    const broken = fakeFaces('x', () => Promise.reject(new Error('session lost')));
    await expect(new EvidenceRedactor(OPTIONS, broken).redact(noise(), W, H, [])).rejects.toMatchObject({
      code: EdgeErrorCode.REDACTION_FAILED,
      message: expect.stringContaining('session lost'),
    });
  });
});
