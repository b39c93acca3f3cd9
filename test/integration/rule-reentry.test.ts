import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YoloxOnnxDetector } from '../../edge/detect/onnx-detector.js';
import { FfmpegFrameSource } from '../../edge/frames/ffmpeg-source.js';
import { DEFAULT_RULE_OPTIONS } from '../../edge/rule/entry-rule.js';
import { feetPoint } from '../../edge/rule/geometry.js';
import { DEFAULT_TRACKER_OPTIONS } from '../../edge/track/tracker.js';
import { replayZone } from '../bench/rule-replay.js';
import type { PerceivedFrame } from '../bench/rule-replay.js';
import { loadLabelFiles } from '../bench/rule-labels.js';
import { manifestFile, vtestClip } from '../harness/models.js';
import { tempDir } from '../harness/temp.js';

/**
 * Real frames: the first 12 s of vtest.avi through YOLOX, the tracker and the rule with the
 * east strip of bench:rule. Two people cross the strip on WALK (labels e02, e03), walk out to
 * the left, and come back along the top about 5 s later (e05, e06): each return must be
 * decided as the second entry of a track that was decided before.
 */
describe('entry rule on real frames: people who come back are decided again', () => {
  let detector: YoloxOnnxDetector;
  const frames: PerceivedFrame[] = [];

  beforeAll(async () => {
    const { path, entry } = await manifestFile('yolox-nano');
    detector = await YoloxOnnxDetector.create(path, entry, {
      minScore: 0.1,
      nmsIou: 0.45,
      minBoxHeight: 0.03,
      classIds: [0],
      intraOpThreads: 1,
    });
    await using dir = await tempDir();
    const clip = await vtestClip(join(dir.path, 'clip.avi'), 12);
    for await (const frame of new FfmpegFrameSource({ cameraId: 't', input: clip, fps: 5, startAtMs: 0 }))
      frames.push({
        atMs: frame.capturedAtMs,
        hasMotion: true,
        detections: await detector.detect(frame.rgb, frame.widthPx, frame.heightPx),
      });
  }, 120_000);
  afterAll(async () => detector?.dispose());

  it('decides the returns of e05 and e06 as second entries, on WALK and flashing', async () => {
    const east = (await loadLabelFiles('test/fixtures/rule-labels')).find((f) => f.labels.zone.id === 'east-strip')!;
    // Gating off: every frame detected (its effect is bench:rule's to measure).
    const gating = {
      enabled: false,
      gridWidth: 64,
      cellThreshold: 20,
      minChangedRatio: 0.002,
      backgroundAlpha: 0.2,
      maxIntervalMs: 5000,
      stationarySpeedPerS: 0.02,
    };
    const { decisions } = replayZone(frames, east.labels.zone, east.labels.schedule, {
      tracker: DEFAULT_TRACKER_OPTIONS,
      rule: DEFAULT_RULE_OPTIONS,
      gating,
    });
    const returns = decisions.filter((d) => d.entry.capturedAtMs >= 9_600 && d.entry.capturedAtMs <= 12_000);
    const labelled = east.labels.entries.filter((e) => e.id === 'e05' || e.id === 'e06');
    for (const label of labelled) {
      const match = returns.find(
        (d) =>
          Math.abs(d.entry.capturedAtMs - label.atMs) <= 1000 &&
          Math.hypot(feetPoint(d.entry.box)[0] - label.feet[0], feetPoint(d.entry.box)[1] - label.feet[1]) <= 0.08,
      );
      expect(match, label.id).toBeDefined();
      expect(match!.entryNumber).toBe(2);
      expect(match!.outcome).not.toBe('infraction');
      const first = decisions.find((d) => d.trackId === match!.trackId && d.entryNumber === 1)!;
      expect(first.entry.capturedAtMs).toBeLessThan(6_000);
      expect(match!.approachFromMs).toBeGreaterThan(first.decidedAt.capturedAtMs);
    }
  });
});
