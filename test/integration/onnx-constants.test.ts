import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ultrafaceTensor } from '../../edge/detect/face-detector.js';
import { createCheckedSession, sessionOptions } from '../../edge/detect/model-metadata.js';
import { withoutInitializerInputs } from '../../edge/detect/onnx-initializers.js';
import { manifestFile } from '../harness/models.js';

describe('weights loaded as constants, on the real models and a real image', () => {
  it.each([
    ['ultraface-rfb-640', 640, 480],
    ['ultraface-rfb-320', 320, 240],
  ])('%s: the weights listed as inputs are dropped, and the outputs on city.jpg are the same', async (id, w, h) => {
    const model = await manifestFile(id);
    expect(withoutInitializerInputs(await readFile(model.path)).removed).toBeGreaterThan(100);
    const { data, info } = await sharp((await manifestFile('city-image')).path)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const tensor = ultrafaceTensor(data, info.width, info.height, w, h);
    const asStored = await ort.InferenceSession.create(model.path, sessionOptions(1));
    const asLoaded = await createCheckedSession(model.path, model.entry, 1);
    try {
      const input = { input: new ort.Tensor('float32', tensor, [1, 3, h, w]) };
      const [a, b] = [await asStored.run(input), await asLoaded.run(input)];
      expect(asLoaded.outputNames).toEqual(asStored.outputNames);
      for (const name of asStored.outputNames) {
        const x = a[name]!.data as Float32Array;
        const y = b[name]!.data as Float32Array;
        expect(y.length).toBe(x.length);
        let maxDiff = 0;
        for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i]! - y[i]!));
        expect(maxDiff).toBeLessThan(1e-4);
      }
      // Faces on the photo: scores over 0.7 exist, so the comparison covers real detections.
      expect(Math.max(...(a.scores!.data as Float32Array).filter((_, i) => i % 2 === 1))).toBeGreaterThan(0.7);
    } finally {
      await asStored.release();
      await asLoaded.release();
    }
  });

  it('YOLOX-nano lists no weight as an input: it is loaded as stored', async () => {
    const yolox = await readFile((await manifestFile('yolox-nano')).path);
    const { bytes, removed } = withoutInitializerInputs(yolox);
    expect(removed).toBe(0);
    expect(bytes).toBe(yolox);
  });
});
