import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { UltrafaceOnnxDetector } from '../edge/detect/face-detector.js';
import { YoloxOnnxDetector } from '../edge/detect/onnx-detector.js';
import { EvidenceRedactor } from '../edge/redact/redactor.js';
import { defaultCacheDir, ensureFile, loadManifest, manifestEntry, mirrorDirsFromEnv } from '../edge/index.js';

import { VIDEO_OUTPUT_EXTENSIONS } from '../edge/evidence/video-writer.js';
import type { FaceCadence } from '../edge/redact/sequence.js';
import { redactVideo } from './redact-video.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const VIDEO_EXTENSIONS = new Set(['.avi', '.mp4', '.mkv', '.mov', '.webm', '.mpg', '.mpeg', '.ts', '.m4v']);

async function listImages(input: string): Promise<string[]> {
  if (!(await stat(input)).isDirectory()) return [input];
  const names = (await readdir(input)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
  return names.map((n) => join(input, n));
}

/**
 * `zebra redact INPUT -o OUTPUT`: the edge's own redaction (faces of any size, plus the head
 * of every detected person, carried along tracks in a video) applied to an image, a folder of
 * images or a video (written as .webm or .mp4). `--face-search whole-frame` is the earlier,
 * cheaper search that misses small faces; `--full-every N` searches a video's frames at 2x
 * only every N frames (faces carried between), as the edge's evidence does.
 */
export interface RedactOpts {
  readonly out: string;
  readonly method: 'pixelate' | 'solid';
  readonly faceSearch: 'multi-scale' | 'whole-frame';
  readonly fullEvery: number;
}

export async function redact(values: RedactOpts, [input]: string[]): Promise<number> {
  if (!input) throw new Error('usage: zebra redact INPUT -o OUTPUT');
  const { faceSearch, fullEvery } = values;
  const isVideo = VIDEO_EXTENSIONS.has(extname(input).toLowerCase());
  if (isVideo && !VIDEO_OUTPUT_EXTENSIONS.includes(extname(values.out).toLowerCase()))
    throw new Error(`-o ${values.out}: a video is written as ${VIDEO_OUTPUT_EXTENSIONS.join(' or ')}`);
  const images = isVideo ? [input] : await listImages(input);
  if (images.length === 0) throw new Error(`${input} holds no .jpg, .png or .webp images`);
  const isFolder = (await stat(input)).isDirectory();
  if (isFolder) await mkdir(values.out, { recursive: true });

  const manifest = await loadManifest();
  const fetchOptions = { cacheDir: defaultCacheDir(process.env), mirrorDirs: mirrorDirsFromEnv(process.env) };
  const yolox = manifestEntry(manifest, 'yolox-nano');
  const face = manifestEntry(manifest, 'ultraface-rfb-640');
  // Windows that fit UltraFace-320's input are searched there, as on the edge by default.
  const smallFace = manifestEntry(manifest, 'ultraface-rfb-320');
  const persons = await YoloxOnnxDetector.create(await ensureFile(yolox, fetchOptions), yolox, {
    minScore: 0.3,
    nmsIou: 0.45,
    minBoxHeight: 0.02,
    classIds: [0],
    intraOpThreads: 1,
  });
  const faces = await UltrafaceOnnxDetector.create(
    await ensureFile(face, fetchOptions),
    face,
    { minScore: 0.3, nmsIou: 0.3, intraOpThreads: 1 },
    { path: await ensureFile(smallFace, fetchOptions), entry: smallFace },
  );
  const redactor = new EvidenceRedactor(
    { method: values.method, minBlockPx: 6, personDetectorId: yolox.id, faceMarginRatio: 0.25, faceSearch },
    faces,
  );
  let failed = 0;
  try {
    if (isVideo)
      return await redactVideoFile(input, values.out, persons, redactor, {
        fullEveryFrames: fullEvery,
        lightEveryFrames: 1,
      });
    for (const [i, path] of images.entries()) {
      const target = isFolder ? join(values.out, basename(path)) : values.out;
      try {
        const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const boxes = (await persons.detect(data, info.width, info.height)).map((d) => d.box);
        const result = await redactor.redact(data, info.width, info.height, boxes);
        await sharp(result.rgb, { raw: { width: info.width, height: info.height, channels: 3 } }).toFile(target);
        process.stderr.write(
          `[${i + 1}/${images.length}] ${path}: ${result.facesFound} faces, ${result.headsMasked} heads masked -> ${target}\n`,
        );
      } catch (err) {
        // Nothing is written for an image that could not be redacted.
        failed += 1;
        process.stderr.write(
          `[${i + 1}/${images.length}] ${path}: not redacted, nothing written: ${err instanceof Error ? err.message : String(err)}\n`,
        );
      }
    }
  } finally {
    await persons.dispose();
    await faces.dispose();
  }
  return failed === 0 ? 0 : 1;
}

async function redactVideoFile(
  input: string,
  output: string,
  persons: YoloxOnnxDetector,
  redactor: EvidenceRedactor,
  cadence: FaceCadence,
): Promise<number> {
  let lastDecile = -1;
  try {
    const s = await redactVideo(
      input,
      output,
      persons,
      redactor,
      (done, total, sum) => {
        const decile = total ? Math.floor((10 * done) / total) : Math.floor(done / 100);
        if (decile === lastDecile) return;
        lastDecile = decile;
        process.stderr.write(
          `[${done}${total ? `/${total}` : ''}] frames, ${sum.facesFound} faces, ${sum.headsMasked} heads masked\n`,
        );
      },
      cadence,
    );
    process.stderr.write(
      `${input}: ${s.frames} frames, ${s.facesFound} faces, ${s.headsMasked} heads masked -> ${output}\n`,
    );
    return 0;
  } catch (err) {
    // A partly written video is removed: nothing half-done is left to be mistaken for the whole.
    await rm(output, { force: true });
    process.stderr.write(
      `${input}: not redacted, nothing written: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
}
