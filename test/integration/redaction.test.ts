import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UltrafaceOnnxDetector } from '../../edge/detect/face-detector.js';
import { YoloxOnnxDetector } from '../../edge/detect/onnx-detector.js';
import { EdgeErrorCode } from '../../edge/errors.js';
import { encodeJpeg } from '../../edge/evidence/keyframe.js';
import { EvidenceRedactor } from '../../edge/redact/redactor.js';
import { headRegion } from '../../edge/redact/head-region.js';
import { manifestFile } from '../harness/models.js';

const REDACTOR = { method: 'pixelate' as const, minBlockPx: 6, personDetectorId: 'yolox-nano', faceMarginRatio: 0.25 };

describe('redaction on real images with the real models', () => {
  let persons: YoloxOnnxDetector;
  let masker: UltrafaceOnnxDetector; // what the edge masks with (low threshold)
  let checker: UltrafaceOnnxDetector; // what an auditor checks with (score 0.5)
  let city: { rgb: Buffer; widthPx: number; heightPx: number };

  beforeAll(async () => {
    const yolox = await manifestFile('yolox-nano');
    const face = await manifestFile('ultraface-rfb-640');
    persons = await YoloxOnnxDetector.create(yolox.path, yolox.entry, {
      minScore: 0.3,
      nmsIou: 0.45,
      minBoxHeight: 0.03,
      classIds: [0],
      intraOpThreads: 1,
    });
    masker = await UltrafaceOnnxDetector.create(face.path, face.entry, {
      minScore: 0.3,
      nmsIou: 0.3,
      intraOpThreads: 1,
    });
    checker = await UltrafaceOnnxDetector.create(face.path, face.entry, {
      minScore: 0.5,
      nmsIou: 0.3,
      intraOpThreads: 1,
    });
    const { data, info } = await sharp((await manifestFile('city-image')).path)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    city = { rgb: data, widthPx: info.width, heightPx: info.height };
  });
  afterAll(async () => {
    await persons?.dispose();
    await masker?.dispose();
    await checker?.dispose();
  });

  /** Redacts, stores as JPEG like the edge does, and decodes again: what actually leaves the device. */
  async function redactAsStored(redactor: EvidenceRedactor): Promise<Buffer> {
    const boxes = (await persons.detect(city.rgb, city.widthPx, city.heightPx)).map((d) => d.box);
    const result = await redactor.redact(city.rgb, city.widthPx, city.heightPx, boxes);
    const jpeg = await encodeJpeg(result.rgb, city.widthPx, city.heightPx, 85);
    return sharp(jpeg.bytes).raw().toBuffer();
  }

  it('leaves no face that UltraFace-640 finds at score 0.5 in city.jpg', async () => {
    const before = await checker.detectFaces(city.rgb, city.widthPx, city.heightPx);
    expect(before.length).toBeGreaterThanOrEqual(10);
    const stored = await redactAsStored(new EvidenceRedactor(REDACTOR, masker));
    expect(await checker.detectFaces(stored, city.widthPx, city.heightPx)).toEqual([]);
  });

  it('masks a head whose face the face detector misses, through the person box', async () => {
    const blind = await UltrafaceOnnxDetector.create(
      (await manifestFile('ultraface-rfb-640')).path,
      (await manifestFile('ultraface-rfb-640')).entry,
      {
        minScore: 0.95,
        nmsIou: 0.3,
        intraOpThreads: 1,
      },
    );
    try {
      const before = await checker.detectFaces(city.rgb, city.widthPx, city.heightPx);
      const boxes = (await persons.detect(city.rgb, city.widthPx, city.heightPx)).map((d) => d.box);
      // The whole-frame search at 0.95 misses faces (the multi-scale one finds them all even then).
      const result = await new EvidenceRedactor({ ...REDACTOR, faceSearch: 'whole-frame' }, blind).redact(
        city.rgb,
        city.widthPx,
        city.heightPx,
        boxes,
      );
      // A face found in the original that the blind detector did not mask, but a head region covers.
      const missed = before.filter((f) => {
        const cx = (f.box.x1 + f.box.x2) / 2;
        const cy = (f.box.y1 + f.box.y2) / 2;
        return boxes.some((b) => {
          const h = headRegion(b);
          return cx > h.x1 && cx < h.x2 && cy > h.y1 && cy < h.y2;
        });
      });
      expect(result.facesFound).toBeLessThan(before.length);
      expect(missed.length).toBeGreaterThan(0);
      const after = await checker.detectFaces(result.rgb, city.widthPx, city.heightPx);
      for (const face of missed) {
        const stillThere = after.some(
          (a) => Math.abs(a.box.x1 - face.box.x1) < 0.02 && Math.abs(a.box.y1 - face.box.y1) < 0.02,
        );
        expect(stillThere, `face at ${face.box.x1.toFixed(3)},${face.box.y1.toFixed(3)}`).toBe(false);
      }
    } finally {
      await blind.dispose();
    }
  });

  it('fails closed when the face model cannot run', async () => {
    const face = await manifestFile('ultraface-rfb-640');
    const broken = await UltrafaceOnnxDetector.create(face.path, face.entry, {
      minScore: 0.3,
      nmsIou: 0.3,
      intraOpThreads: 1,
    });
    await broken.dispose(); // a released session cannot run
    await expect(
      new EvidenceRedactor(REDACTOR, broken).redact(city.rgb, city.widthPx, city.heightPx, []),
    ).rejects.toMatchObject({
      code: EdgeErrorCode.REDACTION_FAILED,
    });
  });
});
