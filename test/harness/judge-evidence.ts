/**
 * What the redaction judge (judge.ts) is run on, for tests and bench:judge: photos redacted as
 * `zebra redact` does, and the evidence the edge pipeline writes for vtest.avi (keyframes and
 * every decoded clip frame), each beside the unredacted frame it came from.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { parse } from 'yaml';
import { InfractionEvent } from '../../proto/index.js';
import type { Detector } from '../../edge/detect/detection.js';
import type { FaceDetector } from '../../edge/detect/face-detector.js';
import { createEdgeLogger, parseEdgeConfig } from '../../edge/index.js';
import type { EdgeConfig } from '../../edge/index.js';
import { encodeJpeg } from '../../edge/evidence/keyframe.js';
import { FfmpegFrameSource } from '../../edge/frames/ffmpeg-source.js';
import { runCameraPipeline } from '../../edge/pipeline/camera-pipeline.js';
import type { PipelineSummary } from '../../edge/pipeline/camera-pipeline.js';
import { FolderPublisher } from '../../edge/publish/folder-publisher.js';
import { loadOrCreateDeviceKey } from '../../edge/publish/device-key.js';
import { FileSequencer } from '../../edge/publish/sequencer.js';
import { EvidenceRedactor } from '../../edge/redact/redactor.js';
import { redactorOptionsFromConfig } from '../../edge/redact/redactor-config.js';
import { ScheduleSignalSource, loadSchedule } from '../../edge/signal/schedule.js';
import { manifestFile, SHARED_DATA } from './models.js';
import { tempDir } from './temp.js';

export interface RgbImage {
  readonly rgb: Buffer;
  readonly widthPx: number;
  readonly heightPx: number;
}

/** An image as packed RGB, optionally resized by `scale` (Lanczos, as a camera's optics would blur). */
export async function loadImage(path: string, scale = 1): Promise<RgbImage> {
  let pipeline = sharp(path).removeAlpha();
  if (scale !== 1) {
    const meta = await sharp(path).metadata();
    pipeline = pipeline.resize(
      Math.max(32, Math.round(meta.width * scale)),
      Math.max(32, Math.round(meta.height * scale)),
    );
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, widthPx: info.width, heightPx: info.height };
}

export async function crowdDevPhotos(): Promise<string[]> {
  const dir = join(SHARED_DATA, 'images/crowd-dev');
  return (await readdir(dir))
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .map((n) => join(dir, n));
}

/** Redacts an image as `zebra redact` does, stores it as the edge stores keyframes (JPEG 85), and decodes it again. */
export async function redactAsStored(
  image: RgbImage,
  persons: Detector | undefined,
  redactor: EvidenceRedactor,
): Promise<RgbImage> {
  // Without `persons` nobody is detected (a dense crowd the person detector misses): the face search alone masks.
  const boxes = persons ? (await persons.detect(image.rgb, image.widthPx, image.heightPx)).map((d) => d.box) : [];
  const result = await redactor.redact(image.rgb, image.widthPx, image.heightPx, boxes);
  const jpeg = await encodeJpeg(result.rgb, image.widthPx, image.heightPx, 85);
  const { data } = await sharp(jpeg.bytes).raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, widthPx: image.widthPx, heightPx: image.heightPx };
}

/** The demo's configuration, with `overrides` of its evidence and redaction sections. */
export async function demoConfig(
  overrides: {
    readonly evidence?: Partial<EdgeConfig['evidence']>;
    readonly redaction?: Partial<EdgeConfig['redaction']>;
  } = {},
): Promise<EdgeConfig> {
  const raw = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as Record<string, unknown>;
  const config = parseEdgeConfig({ ...raw, stateDir: '/tmp/unused' }, join(process.cwd(), 'edge/demo'), {}, 'judge');
  return {
    ...config,
    evidence: { ...config.evidence, ...overrides.evidence },
    redaction: { ...config.redaction, ...overrides.redaction },
  };
}

/** One evidence frame as it left the device, beside the frame it was made from. */
export interface EvidenceFramePair {
  readonly name: string;
  readonly original: RgbImage;
  readonly stored: RgbImage;
}

async function decodeClip(bytes: Uint8Array, widthPx: number, heightPx: number): Promise<Buffer[]> {
  await using work = await tempDir();
  const path = join(work.path, 'clip.webm');
  await writeFile(path, bytes);
  const { stdout } = await promisify(execFile)(
    'ffmpeg',
    ['-loglevel', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 },
  );
  const size = widthPx * heightPx * 3;
  return Array.from({ length: stdout.length / size }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

/**
 * Runs the edge pipeline over `input` (frames at `fps`) with `config`'s first camera, writing
 * events and evidence to a folder as `zebra edge replay` does, and returns every keyframe and
 * every decoded clip frame beside the unredacted frame of the same capture time.
 */
export async function vtestEvidence(
  config: EdgeConfig,
  input: string,
  fps: number,
  models: { readonly persons: Detector; readonly faces: FaceDetector },
): Promise<{ pairs: EvidenceFramePair[]; summary: PipelineSummary; events: InfractionEvent[] }> {
  await using dir = await tempDir('zebra-judge-');
  const camera = config.cameras[0]!;
  const publisher = new FolderPublisher(dir.path);
  const redactor = new EvidenceRedactor(redactorOptionsFromConfig(config, models.persons.model.id), models.faces);
  const summary = await runCameraPipeline({
    deviceId: 'judge',
    siteId: 'judge',
    cameraId: camera.id,
    zone: camera.zone,
    source: new FfmpegFrameSource({ cameraId: camera.id, input, fps, startAtMs: 0 }),
    detector: models.persons,
    signal: new ScheduleSignalSource(await loadSchedule(camera.signal.schedule!), 0),
    redactor,
    publisher,
    sequencer: await FileSequencer.open(dir.path, camera.id),
    deviceKey: await loadOrCreateDeviceKey(join(dir.path, 'key.pem')),
    models: [{ modelId: models.persons.model.id, sha256Hex: models.persons.model.sha256 }],
    edgeSoftwareVersion: 'judge',
    configSha256: '0'.repeat(64),
    rule: config.rule,
    tracker: config.tracker,
    gating: config.gating,
    obstruction: config.obstruction,
    jpegQuality: config.evidence.jpegQuality,
    window: config.evidence,
    logger: createEdgeLogger('warn', process.stderr),
  });
  const events: InfractionEvent[] = [];
  for (const file of publisher.eventFiles)
    events.push(InfractionEvent.fromJSON(JSON.parse(await readFile(file, 'utf8'))));
  // Only the frames evidence was made from are kept (all of vtest would take ~0.5 GB).
  const ranges = events.flatMap((e) =>
    e.evidence.map((r) => [r.frameCapturedAtMs, r.role === 'clip' ? r.clipEndCapturedAtMs : r.frameCapturedAtMs]),
  );
  const originals = new Map<number, Buffer>();
  const times: number[] = [];
  let size = { widthPx: 0, heightPx: 0 };
  for await (const f of new FfmpegFrameSource({ cameraId: 'judge', input, fps, startAtMs: 0 })) {
    times.push(f.capturedAtMs);
    size = { widthPx: f.widthPx, heightPx: f.heightPx };
    if (ranges.some(([from, to]) => f.capturedAtMs >= from! && f.capturedAtMs <= to!))
      originals.set(f.capturedAtMs, Buffer.from(f.rgb));
  }
  const original = (atMs: number): RgbImage => ({ rgb: originals.get(atMs)!, ...size });
  const pairs: EvidenceFramePair[] = [];
  for (const event of events) {
    for (const ref of event.evidence) {
      const bytes = await readFile(join(dir.path, 'evidence', ref.objectKey));
      if (ref.role === 'clip') {
        const decoded = await decodeClip(bytes, ref.widthPx, ref.heightPx);
        const from = times.indexOf(ref.frameCapturedAtMs);
        decoded.forEach((rgb, k) =>
          pairs.push({
            name: `${event.eventId.slice(0, 8)} clip ${k}`,
            original: original(times[from + k]!),
            stored: { rgb, widthPx: ref.widthPx, heightPx: ref.heightPx },
          }),
        );
      } else {
        const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
        pairs.push({
          name: `${event.eventId.slice(0, 8)} ${ref.role}`,
          original: original(ref.frameCapturedAtMs),
          stored: { rgb: data, widthPx: ref.widthPx, heightPx: ref.heightPx },
        });
      }
    }
  }
  return { pairs, summary, events };
}

/** vtest.avi's path (the manifest's verified copy). */
export async function vtestPath(): Promise<string> {
  return (await manifestFile('vtest-video')).path;
}

/**
 * Small images side by side on one large grey frame (shelf by shelf): a wide view of a crowd
 * whose faces are 10-24 px, where a search at the model's size (the frame shrunk to 640 px)
 * sees 4-8 px faces. Images that do not fit are left out.
 */
export function mosaic(images: readonly RgbImage[], widthPx: number, heightPx: number, gapPx = 16): RgbImage {
  const rgb = Buffer.alloc(widthPx * heightPx * 3, 128);
  let x = gapPx;
  let y = gapPx;
  let shelf = 0;
  for (const image of [...images].sort((a, b) => b.heightPx - a.heightPx)) {
    if (x + image.widthPx + gapPx > widthPx) {
      x = gapPx;
      y += shelf + gapPx;
      shelf = 0;
    }
    if (y + image.heightPx + gapPx > heightPx || image.widthPx + 2 * gapPx > widthPx) continue;
    for (let row = 0; row < image.heightPx; row++)
      image.rgb.copy(rgb, ((y + row) * widthPx + x) * 3, row * image.widthPx * 3, (row + 1) * image.widthPx * 3);
    x += image.widthPx + gapPx;
    shelf = Math.max(shelf, image.heightPx);
  }
  return { rgb, widthPx, heightPx };
}
