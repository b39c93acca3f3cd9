/**
 * bench:cameras — how many cameras one edge process serves on this machine, and how the
 * end-to-end replay compares with the loop a user would write with OpenCV-Python.
 *
 *  1. N cameras in one process (the same wiring as `zebra edge`: one inference pool, one
 *     publisher, the device's evidence queues), each playing vtest.avi as a live camera at
 *     BENCH_FPS (default 5), the demo's crosswalk and signal cycle at its own phase offset so
 *     events do not line up. N rises through BENCH_CAMERAS (default 1,2,4,6,8,10,12,14,16) until
 *     frames or evidence fall behind: frame lag growing by more than 1 s over the run, evidence
 *     lag (an event published after its clip ended) growing by more than 5 s or above 30 s, or
 *     any evidence withheld because the queue was full. Each camera plays the first BENCH_SECONDS (default 30) s.
 *  2. CPU per camera (process and threads via /proc, ffmpeg children included) and where it
 *     goes: person detector thread, face (evidence) thread, main thread, other threads, children.
 *  3. End-to-end replay fps of one camera (all of vtest.avi at BENCH_FPS, as fast as it goes,
 *     until the last event's evidence is stored) against test/bench/peer/opencv_peer.py
 *     (persons and faces on every frame with cv2.dnn, faces pixelated, video written).
 *     BENCH_PEER=0 skips the peer.
 * The demo's config, need-to-know evidence included; BENCH_NEED_TO_KNOW=0 runs standard
 * evidence (the product's default) instead.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createEdgeLogger, parseEdgeConfig } from '../../edge/index.js';
import type { EdgeConfig } from '../../edge/index.js';
import { InferencePool } from '../../edge/inference/inference-pool.js';
import { smallFaceModelId } from '../../edge/redact/redactor-config.js';
import { manifestFile } from '../harness/models.js';
import { runCamerasStep } from './cameras-run.js';
import type { StepResult } from './cameras-run.js';

const FPS = Number(process.env.BENCH_FPS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const STEPS = (process.env.BENCH_CAMERAS ?? '1,2,4,6,8,10,12,14,16').split(',').map(Number);
const MAX_LAG_GROWTH_MS = 1000;
const MAX_EVIDENCE_LAG_GROWTH_MS = 5_000;
const MAX_EVIDENCE_LAG_MS = 30_000;
const logger = createEdgeLogger(process.env.BENCH_LOG ?? 'warn', process.stderr);
const say = (line: string): boolean => process.stderr.write(`${line}\n`);

async function demoConfig(): Promise<EdgeConfig> {
  const raw = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as Record<string, unknown>;
  const config = parseEdgeConfig({ ...raw, stateDir: '/tmp/unused' }, join(process.cwd(), 'edge/demo'), {}, 'bench');
  const needToKnow = process.env.BENCH_NEED_TO_KNOW !== '0';
  return { ...config, evidence: { ...config.evidence, needToKnow } };
}

async function startPool(config: EdgeConfig) {
  const yolox = await manifestFile('yolox-nano');
  const face = await manifestFile(config.redaction.faceModel);
  const smallId = smallFaceModelId(config.redaction);
  const small = smallId === undefined ? undefined : await manifestFile(smallId);
  const { minScore, nmsIou, minBoxHeight, intraOpThreads, workers } = config.detector;
  const pool = await InferencePool.start(
    {
      persons: { ...yolox, options: { minScore, nmsIou, minBoxHeight, intraOpThreads, classIds: [0] } },
      faces: {
        ...face,
        options: { minScore: config.redaction.faceMinScore, nmsIou: 0.3, intraOpThreads },
        ...(small ? { small } : {}),
      },
    },
    workers,
    logger,
  );
  const models = [
    { modelId: yolox.entry.id, sha256Hex: yolox.entry.sha256 },
    { modelId: face.entry.id, sha256Hex: face.entry.sha256 },
    ...(small ? [{ modelId: small.entry.id, sha256Hex: small.entry.sha256 }] : []),
  ];
  return { pool, models, yolox: yolox.path, face: face.path };
}

/** Median of the last third minus median of the first third, in publish order (0 with fewer than 3). */
function growth(values: readonly number[]): number {
  if (values.length < 3) return 0;
  const third = Math.floor(values.length / 3);
  const median = (v: readonly number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return median(values.slice(-third)) - median(values.slice(0, third));
}

function keepsUp(r: StepResult): { ok: boolean; why: string } {
  const why: string[] = [];
  if (r.frameLagGrowthMs > MAX_LAG_GROWTH_MS) why.push(`frame lag grew ${(r.frameLagGrowthMs / 1000).toFixed(1)} s`);
  const evidenceGrowthMs = growth(r.evidenceLagsMs);
  if (evidenceGrowthMs > MAX_EVIDENCE_LAG_GROWTH_MS)
    why.push(`evidence lag grew ${(evidenceGrowthMs / 1000).toFixed(1)} s over the run`);
  const worst = Math.max(0, ...r.evidenceLagsMs);
  if (worst > MAX_EVIDENCE_LAG_MS) why.push(`evidence ${(worst / 1000).toFixed(1)} s after its clip`);
  if (r.withheldQueueFull > 0) why.push(`${r.withheldQueueFull} events without evidence (queue full)`);
  return { ok: why.length === 0, why: why.join('; ') };
}

/** CPU in % of one core per camera: ms of CPU over the seconds of video the cameras played. */
const perCamera = (ms: number, cameraSeconds: number): string => `${(ms / 10 / cameraSeconds).toFixed(0)}%`;

function stepLine(r: StepResult): string {
  const frames = r.summaries.reduce((s, x) => s + x.frames, 0);
  const events = r.summaries.reduce((s, x) => s + x.eventsPublished, 0);
  const detect = r.summaries.reduce((s, x) => s + x.detectorCalls, 0);
  const lags = [...r.evidenceLagsMs].sort((a, b) => a - b);
  const lag = (p: number): string => ((lags[Math.floor(p * (lags.length - 1))] ?? 0) / 1000).toFixed(1);
  const { cpu } = r;
  const cs = frames / FPS;
  const verdict = keepsUp(r);
  const perEvent = (ms: number): string => (events > 0 ? (ms / 1000 / events).toFixed(2) : '-');
  return (
    `${String(r.cameras).padStart(3)} cams  ${(frames / r.framesSeconds).toFixed(1).padStart(5)} fps in  ` +
    `frame lag p50 ${(r.frameLagP50Ms / 1000).toFixed(2)} s, growth ${(r.frameLagGrowthMs / 1000).toFixed(2)} s  ` +
    `detector calls/frame ${(detect / Math.max(1, frames)).toFixed(2)}  events ${events}, ` +
    `evidence lag p50 ${lag(0.5)} s max ${lag(1)} s growth ${(growth(r.evidenceLagsMs) / 1000).toFixed(1)} s, queued max ${r.maxQueuedEvents} (${(r.maxHeldFrameBytes / 2 ** 20).toFixed(0)} MB held)\n` +
    `        cpu per camera ${perCamera(cpu.totalMs, cs)} of a core: persons ${perCamera(cpu.personsMs, cs)}, ` +
    `faces ${perCamera(cpu.facesMs, cs)}, main ${perCamera(cpu.mainMs, cs)}, other threads ${perCamera(cpu.otherThreadsMs, cs)}, ` +
    `ffmpeg children ${perCamera(cpu.childrenMs, cs)} (per event: faces ${perEvent(cpu.facesMs)} s, ffmpeg ${perEvent(cpu.childrenMs)} s); ` +
    `whole process ${((cpu.totalMs / 1000 / r.seconds) * 100).toFixed(0)}% over ${r.seconds.toFixed(0)} s, load average ${r.loadAverage.toFixed(2)}\n` +
    `        ${verdict.ok ? 'keeps up' : `BEHIND: ${verdict.why}`}`
  );
}

interface PeerResult {
  readonly fps: number;
  readonly frames: number;
  readonly cpuSeconds: number;
  readonly opencv: string;
  readonly threads: number;
  readonly python: string;
}

/** The Python to run the peer with: BENCH_PYTHON, else the first of python3 and the system's that has OpenCV. */
const PYTHONS = [...new Set([process.env.BENCH_PYTHON ?? 'python3', '/usr/bin/python3'])];

async function runPeer(video: string, yolox: string, face: string): Promise<PeerResult | string> {
  if (process.env.BENCH_PEER === '0') return 'skipped (BENCH_PEER=0)';
  const args = [
    'test/bench/peer/opencv_peer.py',
    ...['--video', video, '--persons', yolox, '--faces', face, '--fps', String(FPS)],
  ];
  for (const python of PYTHONS) {
    try {
      const { stdout } = await promisify(execFile)(python, args);
      return { ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as PeerResult), python };
    } catch (err) {
      const e = err as { code?: number | string; stderr?: string; message: string };
      if (e.code === 3 || e.code === 'ENOENT') continue; // no OpenCV (or no such Python): try the next
      return `the peer failed: ${(e.stderr ?? e.message).trim().split('\n').at(-1)}`;
    }
  }
  return (
    `OpenCV for Python is missing (tried ${PYTHONS.join(', ')}): install it with \`apt-get install -y python3-opencv\` ` +
    '(Debian; then run with BENCH_PYTHON=/usr/bin/python3 if python3 is another Python) or `pip install opencv-python-headless numpy`'
  );
}

async function main(): Promise<void> {
  const config = await demoConfig();
  const vtest = (await manifestFile('vtest-video')).path;
  const work = await mkdtemp(join(tmpdir(), 'zebra-bench-cameras-'));
  const deps = await startPool(config);
  const lines: string[] = [];
  try {
    const clip = join(work, 'clip.avi');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-t', String(SECONDS), '-i', vtest, '-c', 'copy', clip]);
    say(
      `bench:cameras: ${cpus().length} cores, ${config.detector.workers} inference workers, ${FPS} fps per camera, ${SECONDS} s of vtest each, ${config.evidence.needToKnow ? 'need-to-know' : 'standard'} evidence`,
    );
    let largest = 0;
    for (const cameras of STEPS) {
      say(`${cameras} cameras...`);
      const r = await runCamerasStep({ ...deps, config, video: clip, cameras, fps: FPS, realtime: true, logger });
      const line = stepLine(r);
      say(line);
      lines.push(line);
      if (!keepsUp(r).ok) break;
      largest = cameras;
    }
    say('end-to-end replay of one camera (all of vtest.avi, as fast as it goes, evidence included)...');
    const replay = await runCamerasStep({
      ...deps,
      config,
      video: vtest,
      cameras: 1,
      fps: FPS,
      realtime: false,
      logger,
    });
    const replayFrames = replay.summaries[0]!.frames;
    const zebraFps = replayFrames / replay.seconds;
    const events = replay.summaries[0]!.eventsPublished;
    say('the OpenCV-Python peer on the same frames...');
    const peer = await runPeer(vtest, deps.yolox, deps.face);
    const cpuPerFrame = (replay.cpu.totalMs / replayFrames).toFixed(0);
    const split = (ms: number): string => (ms / replayFrames).toFixed(0);
    const { cpu } = replay;
    lines.push(
      '',
      `largest N that keeps up: ${largest} cameras (target >= 8): ${largest >= 8 ? 'met' : 'NOT met'}`,
      `zebra replay, evidence included: ${replayFrames} frames in ${replay.seconds.toFixed(1)} s = ${zebraFps.toFixed(1)} fps ` +
        `(${events} events; cpu ${cpuPerFrame} ms per frame: persons ${split(cpu.personsMs)}, faces ${split(cpu.facesMs)}, ` +
        `main ${split(cpu.mainMs)}, other threads ${split(cpu.otherThreadsMs)}, ffmpeg ${split(cpu.childrenMs)}; ` +
        `${(cpu.totalMs / 1000 / replay.seconds).toFixed(2)} cores busy; load average ${replay.loadAverage.toFixed(2)})`,
    );
    if (typeof peer === 'string') lines.push(`OpenCV-Python peer: ${peer}`);
    else {
      const ratio = zebraFps / peer.fps;
      lines.push(
        `OpenCV-Python peer (${peer.python}, cv2 ${peer.opencv}, ${peer.threads} threads): ${peer.frames} frames at ${peer.fps.toFixed(1)} fps ` +
          `(cpu ${((peer.cpuSeconds * 1000) / peer.frames).toFixed(0)} ms per frame)`,
        `end-to-end ratio zebra / peer: ${ratio.toFixed(2)} (target >= 3): ${ratio >= 3 ? 'met' : 'NOT met'}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await deps.pool.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
