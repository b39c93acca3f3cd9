import { backoffDelayMs } from '../../proto/backoff.js';
import { EdgeError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Frame, FrameSource } from './frame.js';

export interface ReconnectOptions {
  /** First wait after a drop; doubles each time up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** After this many frames in a row the stream counts as healthy again and the delay resets. */
  readonly healthyAfterFrames: number;
}

/**
 * A live stream that is reopened whenever it drops (ffmpeg exits, the network fails, the
 * stream ends), with capped exponential backoff. It ends only when closed. Frame indices
 * continue across reconnects.
 */
export class ReconnectingFrameSource implements FrameSource {
  readonly #open: () => FrameSource;
  readonly #options: ReconnectOptions;
  readonly #logger: Logger;
  readonly #onRestart: (reason: string, delayMs: number) => void;
  #current: FrameSource | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(
    open: () => FrameSource,
    options: ReconnectOptions,
    logger: Logger,
    onRestart: (reason: string, delayMs: number) => void = () => undefined,
  ) {
    this.#open = open;
    this.#options = options;
    this.#logger = logger;
    this.#onRestart = onRestart;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    let index = 0;
    let attempt = 0;
    while (!this.#closed) {
      let framesThisRun = 0;
      let reason = 'the stream ended';
      this.#current = this.#open();
      try {
        for await (const frame of this.#current) {
          framesThisRun += 1;
          if (framesThisRun >= this.#options.healthyAfterFrames) attempt = 0;
          yield { ...frame, index: index++ };
        }
      } catch (err) {
        reason = err instanceof EdgeError ? `${err.code}: ${err.message}` : errorMessage(err);
      }
      if (this.#closed) return;
      attempt += 1;
      const delayMs = backoffDelayMs(attempt, {
        firstDelayMs: this.#options.baseDelayMs,
        maxDelayMs: this.#options.maxDelayMs,
      });
      this.#logger.warn({ reason, attempt, retryInMs: delayMs, framesThisRun }, 'camera stream dropped; reconnecting');
      this.#onRestart(reason, delayMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#current?.close();
  }
}
