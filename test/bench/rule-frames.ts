/**
 * Labelling aid for bench:rule (not part of the bench): draws a label file's zone on vtest's
 * frames so entries can be labelled by eye, and lists candidate moments to look at.
 *
 *   tsx test/bench/rule-frames.ts extract <dir>
 *       vtest.avi at 5 fps as <dir>/f0000.jpg... (frame i is at i × 200 ms, as the edge's
 *       ffmpeg source stamps it)
 *   tsx test/bench/rule-frames.ts sheet <labels.json> <dir> <fromS> <toS> [stepS] [cols] [out.png]
 *       a contact sheet of the zone's surroundings at full resolution, the polygon drawn and
 *       each tile stamped with its time; labelled entries in range are marked (to check them)
 *   tsx test/bench/rule-frames.ts candidates <labels.json>
 *       loose candidate moments (a tracked box's feet crossing the outline inward) from the
 *       detector's cached output (BENCH_RULE_CACHE): only where to look, never a label
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { parse } from 'yaml';
import { createEdgeLogger, parseEdgeConfig } from '../../edge/index.js';
import { feetPoint, isInsidePolygon } from '../../edge/rule/geometry.js';
import { EMPTY_TRACKER, updateTracker } from '../../edge/track/tracker.js';
import { manifestFile } from '../harness/models.js';
import { loadLabelFiles } from './rule-labels.js';
import type { LabelFile } from './rule-labels.js';
import { perceive } from './rule-replay.js';

const WIDTH = 768;
const HEIGHT = 576;
const STEP_MS = 200;

async function labelFile(path: string): Promise<LabelFile> {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const name = path.slice(path.lastIndexOf('/') + 1);
  const found = (await loadLabelFiles(dir)).find((f) => f.name === name);
  if (!found) throw new Error(`no label file ${path}`);
  return found.labels;
}

function cropOf(labels: LabelFile): { left: number; top: number; width: number; height: number } {
  const xs = labels.zone.polygon.map((p) => p[0] * WIDTH);
  const ys = labels.zone.polygon.map((p) => p[1] * HEIGHT);
  const left = Math.max(0, Math.floor(Math.min(...xs) - 50));
  const top = Math.max(0, Math.floor(Math.min(...ys) - 90));
  const right = Math.min(WIDTH, Math.ceil(Math.max(...xs) + 50));
  const bottom = Math.min(HEIGHT, Math.ceil(Math.max(...ys) + 40));
  return { left, top, width: right - left, height: bottom - top };
}

async function tile(labels: LabelFile, dir: string, atMs: number): Promise<Buffer> {
  const crop = cropOf(labels);
  const points = labels.zone.polygon.map(([x, y]) => `${x * WIDTH - crop.left},${y * HEIGHT - crop.top}`).join(' ');
  const marks = labels.entries
    .filter((e) => Math.abs(e.atMs - atMs) < STEP_MS / 2)
    .map(
      (e) =>
        `<circle cx="${e.feet[0] * WIDTH - crop.left}" cy="${e.feet[1] * HEIGHT - crop.top}" r="6" fill="none" stroke="#ff00ff" stroke-width="2"/>` +
        `<text x="${e.feet[0] * WIDTH - crop.left + 8}" y="${e.feet[1] * HEIGHT - crop.top}" fill="#ff00ff" font-size="14" font-family="sans-serif">${e.id}</text>`,
    )
    .join('');
  const svg =
    `<svg width="${crop.width}" height="${crop.height}" xmlns="http://www.w3.org/2000/svg">` +
    `<polygon points="${points}" fill="none" stroke="#00ff00" stroke-width="1.5"/>${marks}` +
    `<rect x="0" y="0" width="70" height="20" fill="black"/>` +
    `<text x="4" y="15" fill="yellow" font-size="15" font-family="sans-serif">${(atMs / 1000).toFixed(1)}s</text></svg>`;
  const file = join(dir, `f${String(Math.round(atMs / STEP_MS)).padStart(4, '0')}.jpg`);
  return sharp(file)
    .extract(crop)
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toBuffer();
}

async function sheet(args: string[]): Promise<void> {
  const [path, dir, fromS, toS, stepS = '0.2', colsArg = '4', out = '/tmp/sheet.png'] = args;
  const labels = await labelFile(path!);
  const crop = cropOf(labels);
  const stepMs = Math.round(Number(stepS) * 1000);
  const times: number[] = [];
  for (let t = Math.round(Number(fromS) * 1000); t <= Number(toS) * 1000; t += stepMs) times.push(t);
  const cols = Number(colsArg);
  const rows = Math.ceil(times.length / cols);
  const tiles = await Promise.all(times.map((t) => tile(labels, dir!, t)));
  await sharp({ create: { width: cols * crop.width, height: rows * crop.height, channels: 3, background: '#000' } })
    .composite(
      tiles.map((input, i) => ({ input, left: (i % cols) * crop.width, top: Math.floor(i / cols) * crop.height })),
    )
    .png()
    .toFile(out);
  process.stdout.write(`${out}: ${times.length} tiles of ${crop.width}x${crop.height}\n`);
}

async function candidates(args: string[]): Promise<void> {
  const labels = await labelFile(args[0]!);
  const raw = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as Record<string, unknown>;
  const config = parseEdgeConfig({ ...raw, stateDir: '/tmp/unused' }, join(process.cwd(), 'edge/demo'), {}, 'x');
  const frames = await perceive(config, 5, createEdgeLogger('warn', process.stderr), process.env.BENCH_RULE_CACHE);
  let tracker = EMPTY_TRACKER;
  const wasInside = new Map<number, boolean>();
  for (const frame of frames) {
    tracker = updateTracker(tracker, frame.detections, frame.atMs, config.tracker);
    for (const track of tracker.tracks.filter((t) => t.isUpdated)) {
      const feet = feetPoint(track.history.at(-1)!.box);
      const inside = isInsidePolygon(feet, labels.zone.polygon);
      if (inside && wasInside.get(track.id) === false)
        process.stdout.write(
          `${(frame.atMs / 1000).toFixed(1)}s track ${track.id} feet [${feet.map((v) => v.toFixed(3)).join(', ')}]\n`,
        );
      wasInside.set(track.id, inside);
    }
  }
}

async function extract(args: string[]): Promise<void> {
  const dir = args[0]!;
  await mkdir(dir, { recursive: true });
  const video = (await manifestFile('vtest-video')).path;
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-i',
    video,
    '-vf',
    'fps=5',
    '-q:v',
    '2',
    '-start_number',
    '0',
    join(dir, 'f%04d.jpg'),
  ]);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'extract') await extract(rest);
else if (command === 'sheet') await sheet(rest);
else if (command === 'candidates') await candidates(rest);
else throw new Error('usage: rule-frames.ts extract|sheet|candidates ...');
