import { stat } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { makeFifo } from './fifo.js';
import type { Fifo } from './fifo.js';
import { FfmpegFrameSource } from './ffmpeg-source.js';
import { ImageFolderSource } from './folder-source.js';
import type { FrameSource } from './frame.js';
import type { VideoInfo } from './probe.js';
import { streamEndpoint, tcpReachable } from './reachable.js';
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
    // The size the last open confirmed: a reopen skips ffprobe (one connection, not two).
    let knownSize: VideoInfo | undefined;
    // The next open's pipe, made while the camera is down (mkfifo is a process start).
    let spareFifo: Promise<Fifo> | undefined;
    const takeFifo = (): Promise<Fifo> => {
      const fifo = spareFifo ?? makeFifo();
      spareFifo = undefined;
      return fifo;
    };
    const open = (): FrameSource =>
      new FfmpegFrameSource({
        cameraId,
        input,
        fps,
        startAtMs: Date.now(),
        stamping: 'arrival',
        stallTimeoutMs: spec.stallTimeoutMs,
        knownSize,
        onSize: (size) => (knownSize = size),
        fifo: takeFifo,
      });
    const endpoint = streamEndpoint(input);
    const reachable = endpoint ? tcpReachable(endpoint.host, endpoint.port) : undefined;
    return new ReconnectingFrameSource(open, spec.reconnect, logger, {
      onRestart,
      reachable,
      onDrop: () => {
        spareFifo ??= makeFifo();
        spareFifo.catch(() => undefined);
      },
      onClose: async () => {
        const fifo = await spareFifo?.catch(() => undefined);
        spareFifo = undefined;
        await fifo?.dispose();
      },
    });
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
