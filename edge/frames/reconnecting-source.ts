import { EdgeError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Frame, FrameSource } from './frame.js';
import { isFastRetry, isRefusal, reconnectDelayMs } from './reconnect-delay.js';
import type { ReconnectOptions } from './reconnect-delay.js';

export type { ReconnectOptions };

export interface ReconnectHooks {
  /** Called with each drop's reason and the planned wait. */
  readonly onRestart?: (reason: string, delayMs: number) => void;
  /** A cheap check that the camera accepts connections (see reachable.ts). */
  readonly reachable?: () => Promise<boolean>;
  /** Called at each drop, before the wait: prepare what the next open needs. */
  readonly onDrop?: () => void;
  /** Called once when the source is closed. */
  readonly onClose?: () => Promise<void>;
}

/** How often a camera that refuses connections is checked early in an outage. */
const REACHABLE_POLL_MS = 50;

/**
 * A live stream that is reopened whenever it drops (ffmpeg exits, the network fails, the
 * stream ends): every `fastRetryDelayMs` for the first `fastRetryForMs` of an outage, then
 * with capped exponential backoff. Early in an outage, a camera that refuses connections
 * (`reachable`: a TCP connect) is checked every 50 ms and reopened the moment it accepts one,
 * without starting ffmpeg until then. It ends only when closed. Frame indices continue across
 * reconnects.
 */
export class ReconnectingFrameSource implements FrameSource {
  readonly #open: () => FrameSource;
  readonly #options: ReconnectOptions;
  readonly #logger: Logger;
  readonly #hooks: ReconnectHooks;
  #current: FrameSource | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(open: () => FrameSource, options: ReconnectOptions, logger: Logger, hooks: ReconnectHooks = {}) {
    this.#hooks = hooks;
    this.#open = open;
    this.#options = options;
    this.#logger = logger;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    let index = 0;
    let attempt = 0;
    let slowAttempt = 0;
    let emptyRuns = 0;
    let outageStartedAtMs: number | undefined;
    while (!this.#closed) {
      let framesThisRun = 0;
      let reason = 'the stream ended';
      this.#current = this.#open();
      try {
        for await (const frame of this.#current) {
          framesThisRun += 1;
          if (framesThisRun >= this.#options.healthyAfterFrames) {
            attempt = 0;
            slowAttempt = 0;
            emptyRuns = 0;
            outageStartedAtMs = undefined;
          }
          yield { ...frame, index: index++ };
        }
      } catch (err) {
        reason = err instanceof EdgeError ? `${err.code}: ${err.message}` : errorMessage(err);
      }
      if (this.#closed) return;
      this.#hooks.onDrop?.();
      attempt += 1;
      const nowMs = Date.now();
      outageStartedAtMs ??= nowMs;
      const outageMs = nowMs - outageStartedAtMs;
      const isRefused = isRefusal(reason);
      if (framesThisRun === 0) emptyRuns += 1;
      const isFast = isFastRetry({ outageMs, isRefused, emptyRuns }, this.#options);
      if (!isFast) slowAttempt += 1;
      const delayMs = reconnectDelayMs({ outageMs, slowAttempt, isRefused, emptyRuns }, this.#options);
      this.#logger.warn(
        { reason, attempt, outageMs, retryInMs: delayMs, framesThisRun, emptyRuns },
        'camera stream dropped; reconnecting',
      );
      this.#hooks.onRestart?.(reason, delayMs);
      const fastUntilMs = outageStartedAtMs + (this.#options.fastRetryForMs ?? 0);
      const reachable = this.#hooks.reachable;
      if (isFast && reachable && !(await reachable())) await this.#untilReachable(fastUntilMs, reachable);
      else await this.#sleep(delayMs);
    }
  }

  /** Waits until the camera accepts a connection, or `untilMs`, or close. */
  async #untilReachable(untilMs: number, reachable: () => Promise<boolean>): Promise<void> {
    while (!this.#closed && Date.now() < untilMs) {
      await this.#sleep(REACHABLE_POLL_MS);
      if (this.#closed) return;
      if (await reachable()) {
        this.#logger.info('camera accepts connections again; reopening');
        return;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#current?.close();
    await this.#hooks.onClose?.();
  }
}
