import { backoffDelayMs } from '../../proto/backoff.js';

export interface ReconnectOptions {
  /** First wait of the backoff; doubles each attempt up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** After this many frames in a row the stream counts as healthy again and the delay resets. */
  readonly healthyAfterFrames: number;
  /**
   * For the first `fastRetryForMs` of an outage, try again every `fastRetryDelayMs` (at most
   * `maxDelayMs`), so a camera that comes back is seen as soon as it listens; then back off.
   * Absent: back off from the first retry.
   */
  readonly fastRetryDelayMs?: number;
  readonly fastRetryForMs?: number;
}

export interface RetryState {
  /** How long the stream has been down (since the first drop after a healthy run). */
  readonly outageMs: number;
  /** Attempts since the fast window ended (1-based; 0 inside the window). */
  readonly slowAttempt: number;
  /** The camera refused the credentials: never retried fast (cameras lock accounts out). */
  readonly isRefused: boolean;
  /** Runs in this outage that ended without a single frame (the decoder started, nothing usable came). */
  readonly emptyRuns: number;
}

/**
 * Fast retries spent on runs that gave no frame. A camera whose port accepts connections but
 * whose stream keeps failing (a wrong path, a server that is up but not streaming yet) backs
 * off after these instead of starting a decoder every fast delay for the whole window.
 */
export const MAX_FAST_EMPTY_RUNS = 3;

/** True while a retry should come fast: early in the outage, not a refusal, few empty runs. Pure. */
export function isFastRetry(state: Omit<RetryState, 'slowAttempt'>, options: ReconnectOptions): boolean {
  const { fastRetryDelayMs, fastRetryForMs } = options;
  return (
    fastRetryDelayMs !== undefined &&
    fastRetryForMs !== undefined &&
    !state.isRefused &&
    state.outageMs < fastRetryForMs &&
    state.emptyRuns <= MAX_FAST_EMPTY_RUNS
  );
}

/** The wait before the next reopen. Pure. */
export function reconnectDelayMs(state: RetryState, options: ReconnectOptions): number {
  if (isFastRetry(state, options)) return Math.min(options.fastRetryDelayMs!, options.maxDelayMs);
  return backoffDelayMs(Math.max(1, state.slowAttempt), {
    firstDelayMs: options.baseDelayMs,
    maxDelayMs: options.maxDelayMs,
  });
}

/** A reason that says the camera refused the credentials (RTSP 401/403). Pure. */
export function isRefusal(reason: string): boolean {
  return /\b(401 Unauthorized|403 Forbidden)\b/i.test(reason);
}
