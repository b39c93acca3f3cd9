import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YoloxOnnxDetector } from '../../edge/detect/onnx-detector.js';
import { EdgeErrorCode } from '../../edge/errors.js';
import { FfmpegFrameSource } from '../../edge/frames/ffmpeg-source.js';
import { manifestFile } from '../harness/models.js';
import { tempDir } from '../harness/temp.js';

const OPTIONS = { minScore: 0.3, nmsIou: 0.45, minBoxHeight: 0.03, classIds: [0], intraOpThreads: 1 };

describe('YOLOX-nano on real images', () => {
  let detector: YoloxOnnxDetector;

  beforeAll(async () => {
    const { path, entry } = await manifestFile('yolox-nano');
    detector = await YoloxOnnxDetector.create(path, entry, OPTIONS);
  });
  afterAll(async () => detector?.dispose());

  it('finds the crowd on the crossing in city.jpg, boxes taller than wide', async () => {
    const { path } = await manifestFile('city-image');
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const people = await detector.detect(data, info.width, info.height);
    expect(people.length).toBeGreaterThanOrEqual(8);
    const upright = people.filter((p) => (p.box.y2 - p.box.y1) * info.height > (p.box.x2 - p.box.x1) * info.width);
    expect(upright.length / people.length).toBeGreaterThan(0.8);
  });

  it('finds nobody in a blank frame', async () => {
    expect(await detector.detect(Buffer.alloc(320 * 240 * 3, 128), 320, 240)).toEqual([]);
  });

  it('rejects a frame whose size does not match its header', async () => {
    await expect(detector.detect(Buffer.alloc(100), 320, 240)).rejects.toMatchObject({
      code: EdgeErrorCode.FRAME_INVALID,
    });
  });

  it('refuses a model whose inputs differ from the manifest', async () => {
    const yolox = await manifestFile('yolox-nano');
    const face = await manifestFile('ultraface-rfb-320');
    await expect(YoloxOnnxDetector.create(face.path, yolox.entry, OPTIONS)).rejects.toMatchObject({
      code: EdgeErrorCode.MODEL_METADATA_MISMATCH,
      message: expect.stringContaining('[1,3,240,320]'),
    });
  });
});

describe('ffmpeg frame source', () => {
  it('decodes vtest.avi at 5 fps on the video timeline', async () => {
    const { path } = await manifestFile('vtest-video');
    const source = new FfmpegFrameSource({ cameraId: 'c', input: path, fps: 5, startAtMs: 1000 });
    const frames: { index: number; at: number; w: number; h: number; bytes: number }[] = [];
    for await (const f of source)
      frames.push({ index: f.index, at: f.capturedAtMs, w: f.widthPx, h: f.heightPx, bytes: f.rgb.length });
    // 795 frames at 10 fps = 79.5 s -> about 398 frames at 5 fps
    expect(frames.length).toBeGreaterThanOrEqual(395);
    expect(frames.length).toBeLessThanOrEqual(400);
    expect(frames[0]).toEqual({ index: 0, at: 1000, w: 768, h: 576, bytes: 768 * 576 * 3 });
    expect(frames[10]!.at).toBe(3000);
  });

  it('hands a slow consumer every frame, whole and in order: reading waits while frames queue up', async () => {
    const { path } = await manifestFile('vtest-video');
    const clip = new FfmpegFrameSource({ cameraId: 'c', input: path, fps: 5, startAtMs: 0 });
    const fast: string[] = [];
    for await (const f of clip) {
      fast.push(createHash('sha256').update(f.rgb).digest('hex'));
      if (fast.length === 40) break;
    }
    const slow: string[] = [];
    for await (const f of new FfmpegFrameSource({ cameraId: 'c', input: path, fps: 5, startAtMs: 0 })) {
      // Slower than ffmpeg decodes, so the reader fills its read-ahead and must resume.
      await new Promise((r) => setTimeout(r, 15));
      slow.push(createHash('sha256').update(f.rgb).digest('hex'));
      if (slow.length === 40) break;
    }
    expect(slow).toEqual(fast);
  });

  it('reports a corrupt video as a clear error, not a crash', async () => {
    await using dir = await tempDir();
    const bad = join(dir.path, 'corrupt.avi');
    await writeFile(bad, Buffer.alloc(4096, 7));
    const source = new FfmpegFrameSource({ cameraId: 'c', input: bad, fps: 5, startAtMs: 0 });
    const read = async () => {
      for await (const _ of source) void _;
    };
    await expect(read()).rejects.toMatchObject({
      code: EdgeErrorCode.FRAME_SOURCE_FAILED,
      message: expect.stringContaining('corrupt.avi'),
    });
  });
});
