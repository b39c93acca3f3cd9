import sharp from 'sharp';
import { UltrafaceOnnxDetector } from '../edge/detect/face-detector.js';
import { YoloxOnnxDetector } from '../edge/detect/onnx-detector.js';
import { FfmpegFrameSource } from '../edge/frames/ffmpeg-source.js';
import type { Frame } from '../edge/frames/frame.js';
import { isStreamUrl } from '../edge/frames/open-source.js';
import {
  defaultCacheDir,
  ensureFile,
  loadEdgeConfig,
  loadManifest,
  manifestEntry,
  mirrorDirsFromEnv,
} from '../edge/index.js';
import type { EdgeConfig } from '../edge/index.js';
import { redactorOptionsFromConfig, smallFaceModelId } from '../edge/redact/redactor-config.js';
import { EvidenceRedactor } from '../edge/redact/redactor.js';

export interface SnapshotOpts {
  readonly config: string;
  readonly camera: string;
  readonly out: string;
  /** Seconds to wait for the first frame. */
  readonly timeout: number;
}

/** The zone's outline as an SVG the size of the frame: corners numbered, so their order shows. */
export function zoneOverlaySvg(
  polygon: readonly (readonly [number, number])[],
  widthPx: number,
  heightPx: number,
  label: string,
): Buffer {
  const points = polygon.map(([x, y]) => [x * widthPx, y * heightPx] as const);
  const corners = points
    .map(
      ([x, y], i) =>
        `<circle cx="${x}" cy="${y}" r="6" fill="#ffd400"/><text x="${x + 8}" y="${y - 8}" font-size="16" fill="#ffd400" font-family="sans-serif">${i}</text>`,
    )
    .join('');
  const escaped = label.replace(/[<>&"]/g, '');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}">` +
      `<polygon points="${points.map(([x, y]) => `${x},${y}`).join(' ')}" fill="#ffd400" fill-opacity="0.15" stroke="#ffd400" stroke-width="4"/>` +
      `${corners}<text x="10" y="26" font-size="20" fill="#ffd400" font-family="sans-serif">${escaped}</text></svg>`,
  );
}

/** The first frame of a camera's input (a stream's first decoded frame, a file's first). */
async function firstFrame(config: EdgeConfig, cameraIndex: number, timeoutMs: number): Promise<Frame> {
  const camera = config.cameras[cameraIndex]!;
  const fetchOptions = {
    cacheDir: config.models.cacheDir ?? defaultCacheDir(process.env),
    mirrorDirs: mirrorDirsFromEnv(process.env),
    allowDownload: config.models.allowDownload,
  };
  const input = camera.source.input.startsWith('sample:')
    ? await ensureFile(manifestEntry(await loadManifest(), camera.source.input.slice(7)), fetchOptions)
    : camera.source.input;
  const source = new FfmpegFrameSource({
    cameraId: camera.id,
    input,
    fps: camera.source.fps,
    startAtMs: Date.now(),
    ...(isStreamUrl(input) ? { stamping: 'arrival' as const, stallTimeoutMs: timeoutMs } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const next = source[Symbol.asyncIterator]().next();
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no frame from ${camera.source.input} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    const result = await Promise.race([next, late]);
    if (result.done) throw new Error(`${camera.source.input} gave no frame`);
    return result.value;
  } finally {
    clearTimeout(timer);
    await source.close();
  }
}

/**
 * `zebra edge snapshot --config FILE --camera ID -o zone.jpg`: one frame of the camera,
 * redacted by the device's own redactor (faces and heads masked as in evidence) with the zone
 * drawn on it, for setting a camera up. The unredacted frame stays in this process.
 */
export async function edgeSnapshot(opts: SnapshotOpts): Promise<number> {
  const config = await loadEdgeConfig(opts.config, process.env);
  const index = config.cameras.findIndex((c) => c.id === opts.camera);
  if (index < 0)
    throw new Error(`--camera ${opts.camera}: the config has cameras ${config.cameras.map((c) => c.id).join(', ')}`);
  const camera = config.cameras[index]!;
  const frame = await firstFrame(config, index, opts.timeout * 1000);
  const manifest = await loadManifest();
  const fetchOptions = {
    cacheDir: config.models.cacheDir ?? defaultCacheDir(process.env),
    mirrorDirs: mirrorDirsFromEnv(process.env),
    allowDownload: config.models.allowDownload,
  };
  const yolox = manifestEntry(manifest, 'yolox-nano');
  const faceEntry = manifestEntry(manifest, config.redaction.faceModel);
  const { minScore, nmsIou, minBoxHeight } = config.detector;
  const persons = await YoloxOnnxDetector.create(await ensureFile(yolox, fetchOptions), yolox, {
    minScore,
    nmsIou,
    minBoxHeight,
    classIds: [0],
    intraOpThreads: 1,
  });
  const smallId = smallFaceModelId(config.redaction);
  const smallEntry = smallId === undefined ? undefined : manifestEntry(manifest, smallId);
  const faces = await UltrafaceOnnxDetector.create(
    await ensureFile(faceEntry, fetchOptions),
    faceEntry,
    { minScore: config.redaction.faceMinScore, nmsIou: 0.3, intraOpThreads: 1 },
    smallEntry ? { path: await ensureFile(smallEntry, fetchOptions), entry: smallEntry } : undefined,
  );
  try {
    const redactor = new EvidenceRedactor(redactorOptionsFromConfig(config, yolox.id), faces);
    const boxes = (await persons.detect(frame.rgb, frame.widthPx, frame.heightPx)).map((d) => d.box);
    const redacted = await redactor.redact(frame.rgb, frame.widthPx, frame.heightPx, boxes);
    frame.rgb.fill(0); // the unredacted pixels are not kept past this point
    const label = `${camera.id} zone ${camera.zone.id} v${camera.zone.version}`;
    await sharp(redacted.rgb, { raw: { width: frame.widthPx, height: frame.heightPx, channels: 3 } })
      .composite([{ input: zoneOverlaySvg(camera.zone.polygon, frame.widthPx, frame.heightPx, label) }])
      .jpeg({ quality: 90 })
      .toFile(opts.out);
    process.stdout.write(
      `wrote ${opts.out}: camera ${camera.id}, ${frame.widthPx}x${frame.heightPx}, ${boxes.length} people, ` +
        `${redacted.facesFound} faces and ${redacted.headsMasked} heads masked, zone ${camera.zone.id} v${camera.zone.version} drawn\n`,
    );
    return 0;
  } finally {
    await persons.dispose();
    await faces.dispose();
  }
}
