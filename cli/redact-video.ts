import { FfmpegFrameSource } from '../edge/frames/ffmpeg-source.js';
import { probeTiming } from '../edge/frames/probe.js';
import type { Detector } from '../edge/detect/detection.js';
import { VideoFileWriter } from '../edge/evidence/video-writer.js';
import type { Redactor } from '../edge/redact/redactor.js';
import { EVERY_FRAME, RedactionSequence } from '../edge/redact/sequence.js';
import type { FaceCadence } from '../edge/redact/sequence.js';
import { DEFAULT_TRACKER_OPTIONS, EMPTY_TRACKER, trackBoxesAt, updateTracker } from '../edge/track/tracker.js';
import type { NormBox } from '../edge/detect/detection.js';
import type { Frame } from '../edge/frames/frame.js';

export interface VideoRedactionSummary {
  frames: number;
  facesFound: number;
  headsMasked: number;
}

/**
 * Redacts a video frame by frame, as the edge does: person detection, a tracker so masks
 * persist through missed detections, faces (the edge's redaction sequence: searched at
 * `cadence`, carried between searches), and the head fallback. A frame is written only
 * after its neighbours are known (one frame of look-ahead), so carried masks cover it.
 */
export async function redactVideo(
  input: string,
  output: string,
  persons: Detector,
  redactor: Redactor,
  onProgress: (done: number, total: number | undefined, s: VideoRedactionSummary) => void,
  cadence: FaceCadence = EVERY_FRAME,
): Promise<VideoRedactionSummary> {
  const sequence = new RedactionSequence(redactor, { cadence });
  const { fps = 10, durationS } = await probeTiming(input);
  const total = durationS ? Math.round(durationS * fps) : undefined;
  const source = new FfmpegFrameSource({ cameraId: 'redact', input, fps, startAtMs: 0 });
  const summary: VideoRedactionSummary = { frames: 0, facesFound: 0, headsMasked: 0 };
  let tracker = EMPTY_TRACKER;
  let writer: VideoFileWriter | undefined;
  const window: { frame: Frame; maskBoxes: NormBox[] }[] = [];
  const emit = async (i: number): Promise<void> => {
    const { frame } = window[i]!;
    writer ??= new VideoFileWriter(output, frame.widthPx, frame.heightPx, fps);
    const result = await sequence.redactAt(window, i);
    await writer.write(result.rgb);
    summary.frames += 1;
    summary.facesFound += result.facesFound;
    summary.headsMasked += result.headsMasked;
    onProgress(summary.frames, total, summary);
  };
  try {
    for await (const frame of source) {
      const detections = await persons.detect(frame.rgb, frame.widthPx, frame.heightPx);
      tracker = updateTracker(tracker, detections, frame.capturedAtMs, DEFAULT_TRACKER_OPTIONS);
      const entry = {
        frame,
        maskBoxes: [...trackBoxesAt(tracker, frame.capturedAtMs), ...detections.map((d) => d.box)],
      };
      window.push(entry);
      if (window.length === 3) {
        await emit(1);
        window.shift();
      } else if (window.length === 2 && summary.frames === 0) await emit(0);
    }
    if (window.length === 1 && summary.frames === 0) await emit(0);
    else if (window.length >= 2) await emit(window.length - 1);
  } finally {
    await source.close();
    await writer?.finish();
  }
  return summary;
}
