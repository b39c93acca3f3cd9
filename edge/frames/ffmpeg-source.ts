import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import { makeFifo, openFifoReader } from './fifo.js';
import type { Fifo } from './fifo.js';
import type { Frame, FrameSource } from './frame.js';
import { inputVideoSize, isNoteworthy } from './ffmpeg-log.js';
import { probeVideo } from './probe.js';
import type { VideoInfo } from './probe.js';
import { RawFrameReader } from './raw-frame-reader.js';
import { LIVE_STAMPS_START, stampLiveFrame } from './live-stamps.js';
import { RTSP_PROBE_ANALYZE_US, hideCredentials, isStreamUrl, streamInputArgs } from './stream-url.js';

export interface FfmpegSourceOptions {
  readonly cameraId: string;
  /** A file path or a stream URL that ffmpeg can open. */
  readonly input: string;
  /** Frames per second to deliver (ffmpeg's fps filter drops or repeats to match). */
  readonly fps: number;
  /**
   * Timestamp of the first frame. Frames of a file are stamped on the video's own
   * timeline from here, so a replay decides the same way however fast it runs.
   */
  readonly startAtMs: number;
  /** Read the input at its native rate (`-re`), as a live camera would deliver it. */
  readonly realtime?: boolean;
  /**
   * "timeline" (files): frames are stamped on the video's own timeline from `startAtMs`.
   * "arrival" (live streams): the stream's own timeline from the device clock at the first
   * frame's arrival (see live-stamps.ts), so frames that arrive in a burst keep their spacing.
   */
  readonly stamping?: 'timeline' | 'arrival';
  /**
   * A stream that delivers no frame for this long has stalled: ffmpeg's socket timeout, and a
   * watchdog for a connection that stays open without video (RTCP alone keeps a socket busy).
   * The source then ends with EDGE_FRAME_SOURCE_STALLED.
   */
  readonly stallTimeoutMs?: number;
  /**
   * A stream's size as the last open saw it: no ffprobe first (a reopen costs one connection,
   * not two). ffmpeg's own header says the size it found; if that differs, the source ends
   * with the new size reported to `onSize`, so the next open uses it.
   */
  readonly knownSize?: VideoInfo;
  /** The named pipe for the frames (made ahead by a reconnecting source); a new one by default. */
  readonly fifo?: () => Promise<Fifo>;
  /** Called once a stream's size is confirmed by ffmpeg's header (undefined: it said none). */
  readonly onSize?: (size: VideoInfo | undefined) => void;
}

const STDERR_TAIL_BYTES = 2_000;
/**
 * Extra time the first frame of a stream may take: connecting, RTSP's DESCRIBE/SETUP/PLAY,
 * and up to RTSP_ANALYZE_US of analysis before decoding starts.
 */
export const FIRST_FRAME_GRACE_MS = 5_000;
/** A live stream's timeline may part from the arrivals by this much before it is re-anchored. */
const MAX_DRIFT_MS = 2_000;
const READ_AHEAD_FRAMES = 4;
/** How long the first frame waits for ffmpeg's header line, printed before any frame. */
const HEADER_WAIT_MS = 1_000;

/** Frames decoded by an ffmpeg child process as raw RGB24. */
export class FfmpegFrameSource implements FrameSource {
  readonly #options: FfmpegSourceOptions;
  #child: ChildProcessByStdio<null, null, Readable> | undefined;

  constructor(options: FfmpegSourceOptions) {
    this.#options = options;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    const { input, fps } = this.#options;
    const isStream = isStreamUrl(input);
    const stallMs = isStream ? this.#options.stallTimeoutMs : undefined;
    const inputArgs = isStream ? streamInputArgs(input, stallMs) : [];
    const { widthPx, heightPx } =
      this.#options.knownSize ??
      (await probeVideo(input, undefined, isStream ? streamInputArgs(input, stallMs, RTSP_PROBE_ANALYZE_US) : []));
    const frameBytes = widthPx * heightPx * 3;
    // A stream's header (level-tagged) tells the size ffmpeg found; only warnings and errors are kept.
    const logLevel = isStream ? ['-loglevel', 'level+info', '-nostats'] : ['-loglevel', 'error'];
    const args = ['-hide_banner', ...logLevel, '-nostdin', ...inputArgs];
    if (this.#options.realtime) args.push('-re');
    const fifo = await (this.#options.fifo ?? makeFifo)().catch((err: unknown) => {
      throw new EdgeError(EdgeErrorCode.FRAME_SOURCE_FAILED, `cannot make a pipe for ffmpeg: ${errorMessage(err)}`, {
        cause: err,
      });
    });
    // A camera that switches resolution mid-stream keeps delivering frames at the size it
    // opened with (scaled; the zone is normalised, so it still fits); a reopen takes the new size.
    const filters = isStream ? `fps=${fps},scale=${widthPx}:${heightPx}` : `fps=${fps}`;
    args.push('-i', input, '-an', '-vf', filters, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-y', fifo.path);
    const reader = new RawFrameReader(frameBytes, READ_AHEAD_FRAMES);
    const socket = openFifoReader(fifo.path, reader.onread);
    reader.attach(socket);
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let stderrTail = '';
    let partialLine = '';
    let headerSize: VideoInfo | undefined;
    let onHeader: (() => void) | undefined;
    const headerSeen = new Promise<void>((resolve) => (onHeader = resolve));
    child.stderr.on('data', (chunk: Buffer) => {
      if (!isStream) {
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
        return;
      }
      const lines = (partialLine + chunk.toString('utf8')).split(/\r?\n/);
      partialLine = lines.pop()!.slice(-STDERR_TAIL_BYTES);
      for (const line of lines) {
        if (!headerSize && (headerSize = inputVideoSize(line))) onHeader?.();
        if (isNoteworthy(line)) stderrTail = `${stderrTail}${line}\n`.slice(-STDERR_TAIL_BYTES);
      }
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      // No cause: a spawn error carries the arguments (spawnargs), the camera URL among them.
      child.once('error', (err) =>
        reject(
          new EdgeError(
            EdgeErrorCode.FRAME_SOURCE_FAILED,
            hideCredentials(`cannot start ffmpeg: ${err.message}`, input),
          ),
        ),
      );
      child.once('close', (code) => resolve(code));
    });
    exited.catch(() => undefined);
    // An ffmpeg that stops before it opens the pipe never ends the stream: end it here.
    void exited.finally(() => {
      if (reader.bytesRead === 0) socket.destroy();
    });
    const lastWords = (): string => stderrTail + (isNoteworthy(partialLine) ? partialLine : '');
    const watchdog = stallMs ? watchForStall(reader, stallMs, () => child.kill('SIGTERM')) : undefined;
    const { cameraId, startAtMs, stamping } = this.#options;
    let index = 0;
    let stamps = LIVE_STAMPS_START;
    let isBackedUp = false;
    let isComplete = false;
    try {
      for await (const rgb of reader) {
        if (index === 0 && isStream) {
          if (!headerSize) await Promise.race([headerSeen, exited.catch(() => undefined), sleep(HEADER_WAIT_MS)]);
          this.#options.onSize?.(headerSize);
          if (headerSize && (headerSize.widthPx !== widthPx || headerSize.heightPx !== heightPx)) {
            throw new EdgeError(
              EdgeErrorCode.FRAME_SOURCE_FAILED,
              `${hideCredentials(input)}: the stream is ${headerSize.widthPx}x${headerSize.heightPx}, not ${widthPx}x${heightPx} as before: reopening at the new size`,
            );
          }
        }
        let capturedAtMs = startAtMs + Math.round((index * 1000) / fps);
        if (stamping === 'arrival') {
          const input = { index, fps, arrivedAtMs: reader.lastArrivedAtMs, isBackedUp, maxDriftMs: MAX_DRIFT_MS };
          ({ state: stamps, capturedAtMs } = stampLiveFrame(stamps, input));
        }
        yield { cameraId, index, capturedAtMs, widthPx, heightPx, rgb };
        // Frames read ahead while this one was processed waited for us: their late arrival is ours.
        isBackedUp = reader.isHeld;
        index += 1;
      }
      isComplete = true;
    } finally {
      watchdog?.stop();
      // A consumer that stops early (break, an error) must not leave ffmpeg running.
      if (!isComplete && child.exitCode === null && this.#child === child) child.kill('SIGTERM');
      socket.destroy();
      await fifo.dispose();
    }
    const code = await exited;
    const shownInput = hideCredentials(input);
    if (watchdog?.hasStalled) {
      throw new EdgeError(
        EdgeErrorCode.FRAME_SOURCE_STALLED,
        `${shownInput}: no frame for ${stallMs} ms: the stream stalled (after ${index} frames)`,
      );
    }
    if (code !== 0 && code !== null && this.#child) {
      throw new EdgeError(
        EdgeErrorCode.FRAME_SOURCE_FAILED,
        hideCredentials(`ffmpeg exited with code ${code} on ${input}: ${lastWords().trim() || 'no message'}`, input),
      );
    }
    if (reader.truncatedBytes > 0) {
      throw new EdgeError(
        EdgeErrorCode.FRAME_INVALID,
        `${shownInput}: the last frame is truncated (${reader.truncatedBytes} of ${frameBytes} bytes)`,
      );
    }
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    await closed;
  }
}

/**
 * Calls `onStall` once when the reader gets no byte for `stallMs` while it is reading (a reader
 * paused because frames wait for the consumer is not stalled); the first byte may take
 * FIRST_FRAME_GRACE_MS longer.
 */
function watchForStall(
  reader: RawFrameReader,
  stallMs: number,
  onStall: () => void,
): { stop(): void; readonly hasStalled: boolean } {
  let lastBytes = reader.bytesRead;
  let lastProgressAtMs = Date.now() + FIRST_FRAME_GRACE_MS;
  let hasStalled = false;
  const timer = setInterval(
    () => {
      const nowMs = Date.now();
      if (reader.bytesRead !== lastBytes || reader.isHeld) {
        lastBytes = reader.bytesRead;
        lastProgressAtMs = nowMs;
      } else if (nowMs - lastProgressAtMs >= stallMs) {
        hasStalled = true;
        clearInterval(timer);
        onStall();
      }
    },
    Math.min(1000, Math.max(50, Math.floor(stallMs / 4))),
  );
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    get hasStalled() {
      return hasStalled;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
