import { stat } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { FfmpegFrameSource } from './ffmpeg-source.js';
import { ImageFolderSource } from './folder-source.js';
import type { FrameSource } from './frame.js';
import { ReconnectingFrameSource } from './reconnecting-source.js';
import { isStreamUrl } from './stream-url.js';
import type { ReconnectOptions } from './reconnecting-source.js';

export interface SourceSpec {
  readonly cameraId: string;
  /** A video file, an image folder, or a stream URL (rtsp://, http://, https://, ...). */
  readonly input: string;
  readonly fps: number;
  readonly realtime: boolean;
  readonly startAtMs: number;
  readonly reconnect: ReconnectOptions;
  readonly stallTimeoutMs: number;
}

export { isStreamUrl };

/**
 * The frame source for a camera's input: a live stream (reopened with backoff whenever it
 * drops), an image folder, or a video file (which ends).
 */
export async function openFrameSource(
  spec: SourceSpec,
  logger: Logger,
  onRestart?: (reason: string, delayMs: number) => void,
): Promise<FrameSource> {
  const { cameraId, input, fps } = spec;
  if (isStreamUrl(input)) {
    const open = (): FrameSource =>
      new FfmpegFrameSource({
        cameraId,
        input,
        fps,
        startAtMs: Date.now(),
        stamping: 'arrival',
        stallTimeoutMs: spec.stallTimeoutMs,
      });
    return new ReconnectingFrameSource(open, spec.reconnect, logger, onRestart);
  }
  const isFolder = await stat(input).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isFolder) {
    return new ImageFolderSource({
      cameraId,
      folder: input,
      fps,
      startAtMs: spec.startAtMs,
      onSkip: (path, reason) => logger.warn({ path, reason }, 'image skipped: cannot decode'),
    });
  }
  return new FfmpegFrameSource({ cameraId, input, fps, startAtMs: spec.startAtMs, realtime: spec.realtime });
}
