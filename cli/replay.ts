import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createEdgeLogger,
  defaultCacheDir,
  ensureFile,
  loadEdgeConfig,
  loadManifest,
  manifestEntry,
  mirrorDirsFromEnv,
  parseEdgeConfig,
  startEdge,
} from '../edge/index.js';
import type { EdgeConfig, PipelineSummary } from '../edge/index.js';
import { probeTiming } from '../edge/frames/probe.js';
import { FolderPublisher } from '../edge/publish/folder-publisher.js';

const BAR_WIDTH = 30;
const DEFAULT_CONFIG = resolve(import.meta.dirname, '../edge/demo/edge.yaml');

/** A progress line: a redrawn bar on a terminal, a line per 10 % otherwise. */
function progressPrinter(out: NodeJS.WriteStream, totalFrames: number | undefined) {
  let lastDecile = -1;
  const startedAt = performance.now();
  return (done: number, s: Readonly<PipelineSummary>, final = false): void => {
    const ratio = totalFrames ? Math.min(1, done / totalFrames) : 0;
    const fps = done / Math.max(0.001, (performance.now() - startedAt) / 1000);
    const text = `${String(done).padStart(5)}${totalFrames ? `/${totalFrames}` : ''} frames  ${s.eventsPublished} events  ${fps.toFixed(1)} fps`;
    if (out.isTTY) {
      const filled = Math.round(ratio * BAR_WIDTH);
      out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${text}${final ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor(ratio * 10);
    if (final || decile > lastDecile) out.write(`${text}\n`);
    lastDecile = decile;
  };
}

/** The summary a technician reads after a replay. */
export function formatReplaySummary(input: string, s: PipelineSummary, seconds: number, eventsDir: string): string {
  const candidates = Object.entries(s.candidates)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const perFrame = s.frames > 0 ? (s.detectorCalls / s.frames).toFixed(2) : '0';
  return [
    `${input}: ${s.frames} frames in ${seconds.toFixed(1)} s (${(s.frames / Math.max(seconds, 0.001)).toFixed(1)} fps)`,
    `detector calls: ${s.detectorCalls} (${perFrame} per frame; ${s.framesGated} frames without motion skipped, ${s.framesSkipped} failed)`,
    `tracks: ${s.tracksStarted}`,
    `candidates by reason: ${candidates || 'none'}`,
    `events: ${s.eventsPublished} (evidence withheld: ${s.evidenceWithheld}, not written: ${s.eventsFailed}) in ${eventsDir}`,
    '',
  ].join('\n');
}

/** The local file behind an input ("sample:<id>" resolves through the manifest). */
async function localPath(input: string): Promise<string> {
  if (!input.startsWith('sample:')) return input;
  const entry = manifestEntry(await loadManifest(), input.slice('sample:'.length));
  return ensureFile(entry, { cacheDir: defaultCacheDir(process.env), mirrorDirs: mirrorDirsFromEnv(process.env) });
}

function replayConfig(base: EdgeConfig, video: string, cameraId: string | undefined, out: string): EdgeConfig {
  const camera = cameraId ? base.cameras.find((c) => c.id === cameraId) : base.cameras[0];
  if (!camera)
    throw new Error(`--camera ${cameraId}: the config has cameras ${base.cameras.map((c) => c.id).join(', ')}`);
  if (!camera.signal.schedule)
    throw new Error(`camera ${camera.id} reads a live controller; a replay needs signal.schedule`);
  const input = video.startsWith('sample:') ? video : resolve(video);
  return parseEdgeConfig(
    {
      ...base,
      // A replay never touches the device's own key or sequence counters.
      stateDir: join(out, 'state'),
      http: {},
      cameras: [{ ...camera, source: { ...camera.source, input, realtime: false } }],
    },
    process.cwd(),
    process.env,
    'replay',
  );
}

/**
 * `zebra edge replay VIDEO [--config FILE] [--camera ID] [-o DIR]`: runs one camera's
 * pipeline over a file as fast as it goes, writes what the device would send (redacted
 * evidence, signed events, tallies) into DIR, and prints a summary.
 */
export interface ReplayOpts {
  readonly config?: string;
  readonly camera?: string;
  readonly out?: string;
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|bmp|gif|tiff?)$/i;

export async function edgeReplay(values: ReplayOpts, [video]: string[]): Promise<number> {
  if (!video) throw new Error('usage: zebra edge replay VIDEO [--config FILE] [--camera ID] [-o DIR]');
  if (IMAGE_EXTENSIONS.test(video))
    throw new Error(
      `${video} is an image: edge replay runs the pipeline over a video (to mask one image: zebra redact)`,
    );
  const out = resolve(values.out ?? `replay-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(out, { recursive: true });
  const config = replayConfig(
    await loadEdgeConfig(values.config ?? DEFAULT_CONFIG, process.env),
    video,
    values.camera,
    out,
  );
  const timing = await probeTiming(await localPath(config.cameras[0]!.source.input));
  const total = timing.durationS ? Math.round(timing.durationS * config.cameras[0]!.source.fps) : undefined;
  const logger = createEdgeLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const publisher = new FolderPublisher(out);
  const progress = progressPrinter(process.stderr, total);
  const startedAt = performance.now();
  let frames = 0;
  const edge = await startEdge(config, logger, process.env, {
    transport: publisher,
    onFrame: (_frame, summary) => progress(++frames, summary),
  });
  const [result] = await edge.done;
  const seconds = (performance.now() - startedAt) / 1000;
  if (result?.summary) progress(frames, result.summary, true);
  if (!result?.summary) {
    process.stderr.write(`zebra: replay of ${video} stopped: ${result?.error ?? 'no result'}\n`);
    return 1;
  }
  process.stdout.write(formatReplaySummary(video, result.summary, seconds, publisher.eventsDir));
  if (result.summary.frames === 0) {
    process.stderr.write(`zebra: no frame could be decoded from ${video}: is it a video?\n`);
    return 1;
  }
  return result.error ? 1 : 0;
}
