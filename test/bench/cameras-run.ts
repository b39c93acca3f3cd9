/** One step of bench:cameras: N cameras in this process, sharing the inference pool, the publisher and the evidence queues. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeConfig, Logger } from '../../edge/index.js';
import { redactorOptionsFromConfig } from '../../edge/redact/redactor-config.js';
import { FfmpegFrameSource } from '../../edge/frames/ffmpeg-source.js';
import type { InferencePool } from '../../edge/inference/inference-pool.js';
import { createEdgeMetrics } from '../../edge/metrics.js';
import { runCameraPipeline } from '../../edge/pipeline/camera-pipeline.js';
import type { PipelineSummary } from '../../edge/pipeline/camera-pipeline.js';
import { EvidenceQueues } from '../../edge/pipeline/evidence-queue.js';
import { FolderPublisher } from '../../edge/publish/folder-publisher.js';
import { loadOrCreateDeviceKey } from '../../edge/publish/device-key.js';
import { FileSequencer } from '../../edge/publish/sequencer.js';
import { EvidenceRedactor } from '../../edge/redact/redactor.js';
import { ScheduleSignalSource, loadSchedule } from '../../edge/signal/schedule.js';
import type { InfractionEvent, ModelRef } from '../../proto/index.js';
import { cpuSince, readCpuSplit } from './thread-cpu.js';
import type { CpuSplit } from './thread-cpu.js';

export interface StepOptions {
  readonly config: EdgeConfig;
  readonly pool: InferencePool;
  readonly models: readonly ModelRef[];
  readonly video: string;
  readonly cameras: number;
  readonly fps: number;
  /** Frames arrive at the camera's rate (a live camera); false: as fast as the pipeline takes them. */
  readonly realtime: boolean;
  readonly logger: Logger;
}

export interface StepResult {
  readonly cameras: number;
  readonly seconds: number;
  /** Until the last frame of every camera was through the rule. */
  readonly framesSeconds: number;
  readonly summaries: readonly PipelineSummary[];
  /** Frame lag (wall clock minus capture time) in ms: median over the run, and its growth (last fifth minus first fifth after warm-up). */
  readonly frameLagP50Ms: number;
  readonly frameLagGrowthMs: number;
  readonly frameLagMaxMs: number;
  /** Per event: wall time it was published minus the capture time its clip ended. */
  readonly evidenceLagsMs: readonly number[];
  readonly withheldQueueFull: number;
  readonly maxQueuedEvents: number;
  readonly maxHeldFrameBytes: number;
  readonly cpu: CpuSplit;
  /** The machine's 1-minute load average at the end (other work on it shows here). */
  readonly loadAverage: number;
}

const median = (values: readonly number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The demo's 30 s signal cycle, each camera at its own offset so their events do not line up. */
async function scheduleFor(dir: string, index: number, cameras: number): Promise<string> {
  const path = join(dir, `schedule-${index}.yaml`);
  const offsetMs = Math.round((index * 30_000) / Math.max(1, cameras)) % 30_000;
  const cycle = [
    { aspect: 'walk', durationMs: 10_000 },
    { aspect: 'flashing_dont_walk', durationMs: 5_000 },
    { aspect: 'steady_dont_walk', durationMs: 15_000 },
  ];
  await writeFile(path, JSON.stringify({ id: `bench-${index}`, version: 1, offsetMs, cycle }));
  return path;
}

/** A publisher into a folder that also notes when each event went out (the end of its evidence). */
class TimedFolderPublisher extends FolderPublisher {
  readonly published: { readonly event: InfractionEvent; readonly atMs: number }[] = [];

  override async publishEvent(event: InfractionEvent): Promise<void> {
    await super.publishEvent(event);
    this.published.push({ event, atMs: Date.now() });
  }
}

export async function runCamerasStep(options: StepOptions): Promise<StepResult> {
  const { config, pool, cameras, fps, logger } = options;
  const dir = await mkdtemp(join(tmpdir(), 'zebra-bench-cameras-'));
  try {
    await mkdir(join(dir, 'out'));
    const publisher = new TimedFolderPublisher(join(dir, 'out'));
    const deviceKey = await loadOrCreateDeviceKey(join(dir, 'key.pem'));
    const metrics = createEdgeMetrics();
    const queues = new EvidenceQueues(config.evidence, logger, metrics);
    // The redaction the device runs with this config (the demo's: multi-scale, need-to-know).
    const redactor = new EvidenceRedactor(redactorOptionsFromConfig(config, 'yolox-nano'), pool.faces);
    const template = config.cameras[0]!;
    const lags: { atMs: number; lagMs: number }[] = [];
    let maxQueued = 0;
    let maxHeld = 0;
    const ids = Array.from({ length: cameras }, (_, i) => `cam-${i + 1}`);
    const sampler = setInterval(() => {
      maxQueued = Math.max(
        maxQueued,
        ids.reduce((sum, id) => sum + queues.queuedEvents(id), 0),
      );
      maxHeld = Math.max(maxHeld, queues.heldFrameBytes());
    }, 100);
    const threads = pool.osThreadIds();
    const cpu0 = readCpuSplit(threads);
    const started = Date.now();
    let lastFrameAtMs = started;
    const runs = ids.map(async (cameraId, i) => {
      const startAtMs = Date.now();
      return runCameraPipeline({
        deviceId: 'bench',
        siteId: 'bench',
        cameraId,
        zone: template.zone,
        source: new FfmpegFrameSource({ cameraId, input: options.video, fps, startAtMs, realtime: options.realtime }),
        detector: pool.persons,
        signal: new ScheduleSignalSource(await loadSchedule(await scheduleFor(dir, i, cameras)), startAtMs),
        redactor,
        publisher,
        sequencer: await FileSequencer.open(dir, cameraId),
        deviceKey,
        models: options.models,
        edgeSoftwareVersion: 'bench',
        configSha256: '0'.repeat(64),
        rule: config.rule,
        tracker: config.tracker,
        gating: config.gating,
        obstruction: config.obstruction,
        jpegQuality: config.evidence.jpegQuality,
        window: config.evidence,
        logger,
        metrics,
        evidenceQueues: queues,
        waitForEvidence: !options.realtime,
        onFrame: (frame) => {
          const now = Date.now();
          lastFrameAtMs = now;
          lags.push({ atMs: now - started, lagMs: now - frame.capturedAtMs });
        },
      });
    });
    const summaries = await Promise.all(runs);
    clearInterval(sampler);
    const ended = Date.now();
    const cpu = cpuSince(cpu0, readCpuSplit(threads));
    const warm = lags.filter((l) => l.atMs > 3000);
    const fifth = Math.max(1, Math.floor(warm.length / 5));
    const clipAfterMs = config.evidence.clipAfterMs;
    return {
      cameras,
      seconds: (ended - started) / 1000,
      framesSeconds: (lastFrameAtMs - started) / 1000,
      summaries,
      frameLagP50Ms: median(lags.map((l) => l.lagMs)),
      frameLagGrowthMs:
        median(warm.slice(-fifth).map((l) => l.lagMs)) - median(warm.slice(0, fifth).map((l) => l.lagMs)),
      frameLagMaxMs: Math.max(0, ...lags.map((l) => l.lagMs)),
      evidenceLagsMs: publisher.published.map((p) => p.atMs - (p.event.occurredAtMs + clipAfterMs)),
      withheldQueueFull: summaries.reduce((sum, s) => sum + s.evidenceQueueFull, 0),
      maxQueuedEvents: maxQueued,
      maxHeldFrameBytes: maxHeld,
      cpu,
      loadAverage: loadavg()[0]!,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
