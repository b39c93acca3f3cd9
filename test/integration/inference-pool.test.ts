import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UltrafaceOnnxDetector } from '../../edge/detect/face-detector.js';
import { YoloxOnnxDetector } from '../../edge/detect/onnx-detector.js';
import { EdgeErrorCode } from '../../edge/errors.js';
import { InferencePool } from '../../edge/inference/inference-pool.js';
import type { InferenceWorkerInit } from '../../edge/inference/protocol.js';
import { createEdgeLogger } from '../../edge/logger.js';
import { manifestFile } from '../harness/models.js';

const PERSONS = { minScore: 0.3, nmsIou: 0.45, minBoxHeight: 0.03, classIds: [0], intraOpThreads: 1 };
const FACES = { minScore: 0.5, nmsIou: 0.3, intraOpThreads: 1 };

describe('inference in worker threads', () => {
  let init: InferenceWorkerInit;
  let pool: InferencePool;
  let city: { data: Buffer; width: number; height: number };

  beforeAll(async () => {
    const yolox = await manifestFile('yolox-nano');
    const face = await manifestFile('ultraface-rfb-640');
    init = {
      persons: { path: yolox.path, entry: yolox.entry, options: PERSONS },
      faces: { path: face.path, entry: face.entry, options: FACES },
    };
    pool = await InferencePool.start(init, 1, createEdgeLogger('silent'));
    const { path } = await manifestFile('city-image');
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    city = { data, width: info.width, height: info.height };
  });
  afterAll(async () => pool?.close());

  it('finds the same people and faces as the same models on the main thread', async () => {
    const local = await YoloxOnnxDetector.create(init.persons.path, init.persons.entry, PERSONS);
    const localFaces = await UltrafaceOnnxDetector.create(init.faces!.path, init.faces!.entry, FACES);
    try {
      const [people, expected] = [
        await pool.persons.detect(city.data, city.width, city.height),
        await local.detect(city.data, city.width, city.height),
      ];
      expect(people.length).toBeGreaterThanOrEqual(8);
      expect(people).toEqual(expected);
      const faces = await pool.faces.detectFaces(city.data, city.width, city.height);
      expect(faces.length).toBeGreaterThanOrEqual(10);
      expect(faces).toEqual(await localFaces.detectFaces(city.data, city.width, city.height));
    } finally {
      await local.dispose();
      await localFaces.dispose();
    }
  });

  it('keeps the event loop free while models run', async () => {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const started = performance.now();
    for (let i = 0; i < 10; i++) await pool.faces.detectFaces(city.data, city.width, city.height);
    const perCallMs = (performance.now() - started) / 10;
    histogram.disable();
    // An in-thread run would block the loop for the whole inference (tens of ms).
    expect(histogram.percentile(99) / 1e6).toBeLessThan(Math.max(perCallMs, 10));
    expect(histogram.max / 1e6).toBeLessThan(perCallMs * 3);
  });

  it('answers a bad frame with the detector error, and keeps serving', async () => {
    await expect(pool.persons.detect(Buffer.alloc(100), 320, 240)).rejects.toMatchObject({
      code: EdgeErrorCode.FRAME_INVALID,
    });
    expect(await pool.persons.detect(Buffer.alloc(320 * 240 * 3, 128), 320, 240)).toEqual([]);
  });

  it('refuses to start when a model does not match the manifest', async () => {
    const face = await manifestFile('ultraface-rfb-320');
    await expect(
      InferencePool.start({ persons: { ...init.persons, path: face.path } }, 1, createEdgeLogger('silent')),
    ).rejects.toMatchObject({ code: EdgeErrorCode.MODEL_METADATA_MISMATCH });
  });
});
