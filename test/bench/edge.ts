/**
 * bench:edge — on vtest.avi, in one run, side by side:
 *  1. detector-only fps (the same inference workers, the same decoded frames, nothing else)
 *     against full-pipeline fps (ffmpeg decode, motion gating, detection, tracking, the rule,
 *     evidence: faces, redaction, JPEG and WebM encoding, signing; events are written to a
 *     temporary folder instead of NATS);
 *  2. event-loop delay p99 during the full pipeline against the detector's latency;
 *  3. detector calls per decoded frame with gating on and off, on the video as it is and on a
 *     quiet stretch (its last 10 s, then the last frame held for 20 s: nobody moves);
 *  4. evidence ms per event;
 *  5. evidence CPU seconds per event (every thread of this process and its ffmpeg children,
 *     from /proc: a run's CPU minus that of the same run with the zone off every path, over
 *     its events; after a warm-up pass, the two modes with a target and the run without events
 *     alternate BENCH_REPEATS times (default 3) and medians are compared), side by side: the multi-scale search in the demo's need-to-know mode, the
 *     same in standard mode, the earlier path (UltraFace on the whole frame, twice, on
 *     every evidence frame), and the demo's mode with every face window on UltraFace-640 (no
 *     small model); each split by thread (face thread, main, other threads, ffmpeg).
 *  6. CPU per call of each face model as stored (weights also listed as graph inputs) and as
 *     the product loads it (weights as constants, so onnxruntime folds and fuses them).
 * BENCH_FPS (default 5) is the detect fps.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { parse } from 'yaml';
import { createEdgeLogger, parseEdgeConfig } from '../../edge/index.js';
import type { EdgeConfig, PipelineSummary } from '../../edge/index.js';
import { FfmpegFrameSource } from '../../edge/frames/ffmpeg-source.js';
import type { Frame } from '../../edge/frames/frame.js';
import { InferencePool } from '../../edge/inference/inference-pool.js';
import { ultrafaceTensor } from '../../edge/detect/face-detector.js';
import { createCheckedSession, sessionOptions } from '../../edge/detect/model-metadata.js';
import { runCameraPipeline } from '../../edge/pipeline/camera-pipeline.js';
import { FolderPublisher } from '../../edge/publish/folder-publisher.js';
import { loadOrCreateDeviceKey } from '../../edge/publish/device-key.js';
import { FileSequencer } from '../../edge/publish/sequencer.js';
import { EvidenceRedactor } from '../../edge/redact/redactor.js';
import { redactorOptionsFromConfig, smallFaceModelId } from '../../edge/redact/redactor-config.js';
import { ScheduleSignalSource, loadSchedule } from '../../edge/signal/schedule.js';
import { manifestFile } from '../harness/models.js';
import { cpuSince, readCpuSplit } from './thread-cpu.js';
import type { CpuSplit } from './thread-cpu.js';

const FPS = Number(process.env.BENCH_FPS ?? 5);
const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));
const logger = createEdgeLogger('warn', process.stderr);

/** CPU ms of this process (all threads) and its waited-for children (ffmpeg), from /proc; process.cpuUsage without /proc. */
function cpuMsWithChildren(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14-17 of stat, in clock ticks of 10 ms.
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
}

async function demoConfig(): Promise<EdgeConfig> {
  const raw = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as Record<string, unknown>;
  return parseEdgeConfig({ ...raw, stateDir: '/tmp/unused' }, join(process.cwd(), 'edge/demo'), {}, 'bench');
}

async function decodeAll(input: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const f of new FfmpegFrameSource({ cameraId: 'bench', input, fps: FPS, startAtMs: 0 })) frames.push(f);
  return frames;
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
  return { pool, models };
}

/**
 * The best a user could write with the same detector: every frame detected, with the next
 * request sent while one is running (the pipeline also keeps one frame queued ahead), so the
 * workers never wait on this loop.
 */
async function detectorOnly(pool: InferencePool, frames: readonly Frame[]): Promise<{ fps: number; meanMs: number }> {
  for (const f of frames.slice(0, 5)) await pool.persons.detect(f.rgb, f.widthPx, f.heightPx);
  const started = performance.now();
  let ahead: Promise<unknown> = Promise.resolve();
  for (const f of frames) {
    const current = pool.persons.detect(f.rgb, f.widthPx, f.heightPx);
    await ahead;
    ahead = current;
  }
  await ahead;
  const seconds = (performance.now() - started) / 1000;
  return { fps: frames.length / seconds, meanMs: (seconds * 1000) / frames.length };
}

/**
 * CPU ms per call of one face model on a real frame, loaded as stored (its weights also listed
 * as graph inputs, so onnxruntime folds nothing) and as the product loads it (weights as constants).
 */
async function faceModelPerCall(id: string, frame: Frame): Promise<{ asStoredMs: number; asLoadedMs: number }> {
  const model = await manifestFile(id);
  const [, , h, w] = model.entry.spec!.inputs[0]!.shape as [number, number, number, number];
  const tensor = ultrafaceTensor(frame.rgb, frame.widthPx, frame.heightPx, w, h);
  const asStored = await ort.InferenceSession.create(model.path, sessionOptions(1));
  const asLoaded = await createCheckedSession(model.path, model.entry, 1);
  const input = { input: new ort.Tensor('float32', tensor, [1, 3, h, w]) };
  const cpuMsPerCall = async (session: ort.InferenceSession): Promise<number> => {
    for (let i = 0; i < 5; i++) await session.run(input);
    const before = process.cpuUsage();
    for (let i = 0; i < 40; i++) await session.run(input);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / 40;
  };
  try {
    // Alternated, twice each: the better of the two.
    const stored = [await cpuMsPerCall(asStored)];
    const loaded = [await cpuMsPerCall(asLoaded)];
    stored.push(await cpuMsPerCall(asStored));
    loaded.push(await cpuMsPerCall(asLoaded));
    return { asStoredMs: Math.min(...stored), asLoadedMs: Math.min(...loaded) };
  } finally {
    await asStored.release();
    await asLoaded.release();
  }
}

async function pipeline(
  config: EdgeConfig,
  input: string,
  deps: Awaited<ReturnType<typeof startPool>>,
  gating: boolean,
): Promise<{
  summary: PipelineSummary;
  seconds: number;
  framesSeconds: number;
  loopP99Ms: number;
  loopMaxMs: number;
  cpuMs: number;
  split: CpuSplit;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'zebra-bench-edge-'));
  try {
    const camera = config.cameras[0]!;
    const redactor = new EvidenceRedactor(redactorOptionsFromConfig(config, 'yolox-nano'), deps.pool.faces);
    const latencies: number[] = [];
    const timed = {
      ...deps.pool.persons,
      detect: async (rgb: Buffer, w: number, h: number) => {
        const t0 = performance.now();
        const out = await deps.pool.persons.detect(rgb, w, h);
        latencies.push(performance.now() - t0);
        return out;
      },
    };
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const started = performance.now();
    let lastFrameAt = started;
    const cpuBefore = process.cpuUsage();
    const cpuAllBefore = cpuMsWithChildren();
    const splitBefore = readCpuSplit(deps.pool.osThreadIds());
    const summary = await runCameraPipeline({
      deviceId: 'bench',
      siteId: 'bench',
      cameraId: camera.id,
      zone: camera.zone,
      source: new FfmpegFrameSource({ cameraId: camera.id, input, fps: FPS, startAtMs: 0 }),
      detector: timed,
      signal: new ScheduleSignalSource(await loadSchedule(camera.signal.schedule!), 0),
      redactor,
      publisher: new FolderPublisher(dir),
      sequencer: await FileSequencer.open(dir, camera.id),
      deviceKey: await loadOrCreateDeviceKey(join(dir, 'key.pem')),
      models: deps.models,
      edgeSoftwareVersion: 'bench',
      configSha256: '0'.repeat(64),
      rule: config.rule,
      tracker: config.tracker,
      gating: { ...config.gating, enabled: gating },
      obstruction: config.obstruction,
      jpegQuality: config.evidence.jpegQuality,
      window: config.evidence,
      logger,
      waitForEvidence: true,
      onFrame: () => (lastFrameAt = performance.now()),
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = cpuMsWithChildren() - cpuAllBefore;
    const split = cpuSince(splitBefore, readCpuSplit(deps.pool.osThreadIds()));
    latencies.sort((a, b) => a - b);
    const pct = (p: number): string => (latencies[Math.floor((p / 100) * (latencies.length - 1))] ?? 0).toFixed(1);
    process.stderr.write(
      `  ${summary.frames} frames through at ${((lastFrameAt - started) / 1000).toFixed(1)} s, evidence stored at ` +
        `${seconds.toFixed(1)} s; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s in this process; ` +
        `detect request to result p50 ${pct(50)} p99 ${pct(99)} ms (one frame queued ahead, as in the baseline); ` +
        `event-loop delay p99 ${(histogram.percentile(99) / 1e6 - 1).toFixed(1)} ms\n`,
    );
    histogram.disable();
    // The histogram's samples include its 1 ms sampling interval.
    const framesSeconds = (lastFrameAt - started) / 1000;
    return {
      summary,
      seconds,
      framesSeconds,
      loopP99Ms: histogram.percentile(99) / 1e6 - 1,
      loopMaxMs: histogram.max / 1e6 - 1,
      cpuMs,
      split,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Run = Awaited<ReturnType<typeof pipeline>>;

/** The run of median CPU (the middle one of an odd count). */
function medianRun(runs: readonly Run[]): Run {
  return [...runs].sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor((runs.length - 1) / 2)]!;
}

function quietVariant(video: string, dir: string): string {
  const out = join(dir, 'quiet.mkv');
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-sseof', '-10', '-i', video],
    ...['-vf', 'tpad=stop_mode=clone:stop_duration=20', '-c:v', 'ffv1', out],
  ]);
  return out;
}

async function main(): Promise<void> {
  const config = await demoConfig();
  const video = (await manifestFile('vtest-video')).path;
  const work = await mkdtemp(join(tmpdir(), 'zebra-bench-quiet-'));
  const deps = await startPool(config);
  try {
    process.stderr.write(`decoding vtest.avi at ${FPS} fps...\n`);
    const frames = await decodeAll(video);
    process.stderr.write(`detector only on ${frames.length} frames...\n`);
    const bare = await detectorOnly(deps.pool, frames);
    process.stderr.write('face models per call, as stored and as loaded...\n');
    const faceCalls = [];
    for (const id of ['ultraface-rfb-640', 'ultraface-rfb-320'])
      faceCalls.push({ id, ...(await faceModelPerCall(id, frames[Math.floor(frames.length / 2)]!)) });
    // The first pipeline run also warms the JIT and the models' caches: it is not counted.
    process.stderr.write('warm-up pass (not counted)...\n');
    await pipeline(config, video, deps, true);
    const offPath = {
      ...config,
      cameras: [
        {
          ...config.cameras[0]!,
          zone: {
            ...config.cameras[0]!.zone,
            polygon: [
              [0, 0],
              [0.02, 0],
              [0.02, 0.02],
            ] as [number, number][],
          },
        },
      ],
    };
    const standardConfig = { ...config, evidence: { ...config.evidence, needToKnow: false } };
    // The run without events and the two measured modes alternate REPEATS times, so a load that
    // comes and goes on a shared machine falls on all of them; each figure is a median.
    const fullRuns: Run[] = [];
    const noEvidenceRuns: Run[] = [];
    const standardRuns: Run[] = [];
    for (let k = 1; k <= REPEATS; k++) {
      process.stderr.write(`full pipeline, gating on (${k} of ${REPEATS})...\n`);
      fullRuns.push(await pipeline(config, video, deps, true));
      process.stderr.write(`pipeline with the zone off every path, no events, no evidence (${k} of ${REPEATS})...\n`);
      noEvidenceRuns.push(await pipeline(offPath, video, deps, true));
      process.stderr.write(`full pipeline, standard evidence, need-to-know off (${k} of ${REPEATS})...\n`);
      standardRuns.push(await pipeline(standardConfig, video, deps, true));
    }
    const full = medianRun(fullRuns);
    const noEvidence = medianRun(noEvidenceRuns);
    const standard = medianRun(standardRuns);
    process.stderr.write('full pipeline, the earlier evidence path (whole frame, twice, every frame)...\n');
    const earlierConfig = {
      ...standardConfig,
      redaction: {
        ...config.redaction,
        faceSearch: 'whole-frame' as const,
        fullSearchEveryFrames: 1,
        lightSearchEveryFrames: 1,
      },
    };
    const earlier = await pipeline(earlierConfig, video, deps, true);
    process.stderr.write('full pipeline, need-to-know, every face window on UltraFace-640 (no small model)...\n');
    const largeOnlyConfig = { ...config, redaction: { ...config.redaction, smallFaceModel: 'none' as const } };
    const largeOnlyDeps = await startPool(largeOnlyConfig);
    const largeOnly = await pipeline(largeOnlyConfig, video, largeOnlyDeps, true).finally(() =>
      largeOnlyDeps.pool.close(),
    );
    process.stderr.write('full pipeline, gating off...\n');
    const ungated = await pipeline(config, video, deps, false);
    const quiet = quietVariant(video, work);
    process.stderr.write('quiet stretch, gating on and off...\n');
    const quietOn = await pipeline(config, quiet, deps, true);
    const quietOff = await pipeline(config, quiet, deps, false);

    const fps = (r: { summary: PipelineSummary }, seconds: number): number => r.summary.frames / seconds;
    const framesFps = fps(full, full.framesSeconds);
    const drainedFps = fps(full, full.seconds);
    const perFrame = (r: { summary: PipelineSummary }): string =>
      (r.summary.detectorCalls / r.summary.frames).toFixed(2);
    const ratio = (v: number): string => (v / bare.fps).toFixed(2);
    const loopRatio = full.loopP99Ms / bare.meanMs;
    const evidenceMs = full.summary.evidenceMs / Math.max(1, full.summary.eventsPublished);
    const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    const evidenceCpuS = (r: { summary: PipelineSummary; cpuMs: number }): number =>
      (r.cpuMs - noEvidence.cpuMs) / 1000 / Math.max(1, r.summary.eventsPublished);
    // Where it went, per event (each thread minus the same thread in the run without events): the
    // face thread does nothing but evidence, so its figure is the least noisy on a shared machine.
    const perEvent = (r: { summary: PipelineSummary; split: CpuSplit }, key: keyof CpuSplit): string =>
      ((r.split[key] - noEvidence.split[key]) / 1000 / Math.max(1, r.summary.eventsPublished)).toFixed(2);
    // Each repeat against the run without events beside it: how far one pair can swing.
    const pairs = (runs: readonly Run[]): string =>
      runs.length < 2
        ? ''
        : `each repeat minus the run without events beside it ${runs
            .map((r, k) =>
              ((r.cpuMs - noEvidenceRuns[k]!.cpuMs) / 1000 / Math.max(1, r.summary.eventsPublished)).toFixed(2),
            )
            .join(', ')} s; `;
    const cpuLine = (
      name: string,
      r: { summary: PipelineSummary; cpuMs: number; split: CpuSplit },
      target: boolean,
      runs: readonly Run[] = [],
    ): string =>
      `  ${name.padEnd(44)} ${evidenceCpuS(r).toFixed(2).padStart(5)} s  (${r.summary.eventsPublished} events; ${pairs(runs)}${runs.length > 1 ? 'median run' : 'run'} ${(r.cpuMs / 1000).toFixed(1)} s cpu vs ${(noEvidence.cpuMs / 1000).toFixed(1)} s without events; ` +
      `face thread ${perEvent(r, 'facesMs')} s, main ${perEvent(r, 'mainMs')} s, other threads ${perEvent(r, 'otherThreadsMs')} s, ffmpeg ${perEvent(r, 'childrenMs')} s)` +
      (target ? `  target <= 1.0: ${verdict(evidenceCpuS(r) <= 1.0)}` : '');
    const lines = [
      `bench:edge on vtest.avi, ${frames.length} frames at ${FPS} fps, ${config.detector.workers} inference workers (faces at lower priority)`,
      `detector only                  ${bare.fps.toFixed(1).padStart(6)} fps  (${bare.meanMs.toFixed(1)} ms per call)`,
      ...faceCalls.map(
        (c) =>
          `${(c.id + ' per call').padEnd(30)} ${c.asLoadedMs.toFixed(1).padStart(6)} ms cpu with its weights as constants vs ${c.asStoredMs.toFixed(1)} ms as stored (weights also graph inputs): ratio ${(c.asLoadedMs / c.asStoredMs).toFixed(2)}`,
      ),
      `full pipeline, frames through  ${framesFps.toFixed(1).padStart(6)} fps  ratio ${ratio(framesFps)} (evidence still being made after the last frame)`,
      `full pipeline, evidence stored ${drainedFps.toFixed(1).padStart(6)} fps  ratio ${ratio(drainedFps)} (until the last of ${full.summary.eventsPublished} events is stored; target >= 0.80): ${verdict(drainedFps / bare.fps >= 0.8)}`,
      `pipeline without events        ${fps(noEvidence, noEvidence.seconds).toFixed(1).padStart(6)} fps  ratio ${ratio(fps(noEvidence, noEvidence.seconds))} (zone off every path)`,
      `gating off, frames through     ${fps(ungated, ungated.framesSeconds).toFixed(1).padStart(6)} fps  ratio ${ratio(fps(ungated, ungated.framesSeconds))}`,
      `event-loop delay p99           ${full.loopP99Ms.toFixed(1).padStart(6)} ms   (max ${full.loopMaxMs.toFixed(1)}) vs detector ${bare.meanMs.toFixed(1)} ms: ratio ${loopRatio.toFixed(2)} (target <= 0.25): ${verdict(loopRatio <= 0.25)}`,
      `detector calls per frame       vtest ${perFrame(full)} gated, ${perFrame(ungated)} ungated; quiet stretch (${quietOn.summary.frames} frames) ${perFrame(quietOn)} gated, ${perFrame(quietOff)} ungated`,
      `evidence per event             ${evidenceMs.toFixed(0).padStart(6)} ms   (faces on every keyframe and clip frame, masks, JPEG + WebM, signature)`,
      `evidence CPU per event at ${FPS} fps (all threads and ffmpeg children; median of ${REPEATS} runs minus the median of ${REPEATS} without events, alternated):`,
      cpuLine(`multi-scale, need-to-know (demo: ${config.evidence.needToKnow ? 'on' : 'off'})`, full, true, fullRuns),
      cpuLine('multi-scale, standard (need-to-know off)', standard, true, standardRuns),
      cpuLine('earlier path: whole frame twice, every frame', earlier, false),
      cpuLine('need-to-know, every window on UltraFace-640', largeOnly, false),
      '',
    ];
    process.stdout.write(lines.join('\n'));
    // The verdict is the exit code: any target missed fails the run.
    const isMet =
      drainedFps / bare.fps >= 0.8 && loopRatio <= 0.25 && evidenceCpuS(full) <= 1.0 && evidenceCpuS(standard) <= 1.0;
    process.stdout.write(`verdict: ${isMet ? 'every target met' : 'a target NOT met'}\n`);
    if (!isMet) process.exitCode = 1;
  } finally {
    await deps.pool.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
