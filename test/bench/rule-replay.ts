/**
 * bench:rule's replay: vtest.avi decoded by the edge's ffmpeg source, persons found by the
 * edge's YOLOX worker, motion read as the camera pipeline reads it; then, per zone, the
 * pipeline's own per-frame steps (gating, tracker, entry rule) with the zone's schedule.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EdgeConfig } from '../../edge/config.js';
import type { Detection } from '../../edge/detect/detection.js';
import { FfmpegFrameSource } from '../../edge/frames/ffmpeg-source.js';
import { InferencePool } from '../../edge/inference/inference-pool.js';
import type { Logger } from '../../edge/logger.js';
import { detectMotion, lumaGrid, shouldDetect } from '../../edge/motion/motion.js';
import type { LumaGrid } from '../../edge/motion/motion.js';
import { EMPTY_RULE_STATE, applyEntryRule } from '../../edge/rule/entry-rule.js';
import type { CrosswalkZone, EntryDecision, RuleOptions } from '../../edge/rule/entry-rule.js';
import { ScheduleSignalSource } from '../../edge/signal/schedule.js';
import type { Schedule } from '../../edge/signal/schedule.js';
import { EMPTY_TRACKER, activeTrackCount, updateTracker } from '../../edge/track/tracker.js';
import type { TrackerOptions } from '../../edge/track/tracker.js';
import { manifestFile } from '../harness/models.js';

/** What the pipeline knows of one decoded frame before tracking. */
export interface PerceivedFrame {
  readonly atMs: number;
  readonly hasMotion: boolean;
  /** The detector's output for the frame (used only where gating lets the detector run). */
  readonly detections: readonly Detection[];
}

/**
 * Decodes the video at `fps` and runs motion and person detection on every frame. With
 * `cacheDir`, the result is kept there, keyed by the model, the video and the options, so
 * repeated runs skip the detector (BENCH_RULE_CACHE).
 */
export async function perceive(
  config: EdgeConfig,
  fps: number,
  logger: Logger,
  cacheDir: string | undefined,
): Promise<PerceivedFrame[]> {
  const video = await manifestFile('vtest-video');
  const yolox = await manifestFile('yolox-nano');
  const { minScore, nmsIou, minBoxHeight, intraOpThreads } = config.detector;
  const key = createHash('sha256')
    .update(JSON.stringify([yolox.entry.sha256, video.entry.sha256, fps, config.detector, config.gating]))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = cacheDir ? join(cacheDir, `rule-bench-${key}.json`) : undefined;
  if (cacheFile) {
    const cached = await readFile(cacheFile, 'utf8').catch(() => undefined);
    if (cached) return JSON.parse(cached) as PerceivedFrame[];
  }
  const pool = await InferencePool.start(
    { persons: { ...yolox, options: { minScore, nmsIou, minBoxHeight, intraOpThreads, classIds: [0] } } },
    1,
    logger,
  );
  const frames: PerceivedFrame[] = [];
  try {
    let background: LumaGrid | undefined;
    const source = new FfmpegFrameSource({ cameraId: 'bench-rule', input: video.path, fps, startAtMs: 0 });
    for await (const frame of source) {
      const grid = lumaGrid(frame.rgb, frame.widthPx, frame.heightPx, config.gating.gridWidth);
      const motion = detectMotion(background, grid, config.gating);
      background = motion.background;
      const detections = await pool.persons.detect(frame.rgb, frame.widthPx, frame.heightPx);
      frames.push({ atMs: frame.capturedAtMs, hasMotion: motion.reading.hasMotion, detections });
    }
  } finally {
    await pool.close();
  }
  if (cacheDir && cacheFile) {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(cacheFile, JSON.stringify(frames));
  }
  return frames;
}

export interface ReplayResult {
  readonly decisions: readonly EntryDecision[];
  readonly tracksStarted: number;
  readonly switchesRefused: number;
  readonly detectorFrames: number;
}

/**
 * The camera pipeline's per-frame steps on perceived frames: the gating decision, the tracker
 * on detected frames, and the entry rule on every frame, as CameraRun.complete runs them.
 */
export function replayZone(
  frames: readonly PerceivedFrame[],
  zone: CrosswalkZone,
  schedule: Schedule,
  options: { tracker: TrackerOptions; rule: RuleOptions; gating: EdgeConfig['gating'] },
): ReplayResult {
  const signal = new ScheduleSignalSource(schedule, 0);
  let tracker = EMPTY_TRACKER;
  let rule = EMPTY_RULE_STATE;
  let lastDetectMs = -Infinity;
  let detectorFrames = 0;
  const decisions: EntryDecision[] = [];
  for (const frame of frames) {
    const needed = shouldDetect({
      gatingEnabled: options.gating.enabled,
      hasMotion: frame.hasMotion,
      activeTracks: activeTrackCount(tracker, options.gating.stationarySpeedPerS),
      msSinceLastDetect: frame.atMs - lastDetectMs,
      maxIntervalMs: options.gating.maxIntervalMs,
    });
    if (needed) {
      lastDetectMs = frame.atMs;
      detectorFrames += 1;
      tracker = updateTracker(tracker, frame.detections, frame.atMs, options.tracker);
    }
    const applied = applyEntryRule(
      rule,
      tracker.tracks,
      zone,
      { signalAt: (atMs) => signal.readingAt(atMs), isCameraObstructed: false },
      options.rule,
    );
    rule = applied.state;
    decisions.push(...applied.decisions);
  }
  return { decisions, tracksStarted: tracker.nextId - 1, switchesRefused: tracker.switchesRefused, detectorFrames };
}
