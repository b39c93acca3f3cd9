/**
 * Each camera's health, from what its source and pipeline already report: frames processed,
 * stream drops (with their reason), the run ending or failing. Pure state plus a judge; the
 * device feeds it (edge/main.ts) and /healthz and the metrics read it.
 */

/** `ended`: a file or folder source played to its end (replays); never red. */
export type CameraStateName = 'connecting' | 'running' | 'stalled' | 'failed' | 'ended';

export const CAMERA_STATES: readonly CameraStateName[] = ['connecting', 'running', 'stalled', 'failed', 'ended'];

/** What is known of one camera's run. */
export interface CameraWatch {
  readonly startedAtMs: number;
  readonly lastFrameAtMs?: number;
  /** The last stream drop or open failure. */
  readonly lastError?: string;
  readonly lastErrorAtMs?: number;
  readonly failed?: string;
  readonly ended?: boolean;
}

export interface CameraStatus {
  readonly state: CameraStateName;
  /** Milliseconds since the last frame, or since the camera started when none came yet. */
  readonly sinceFrameMs: number;
  readonly hasFrame: boolean;
  readonly lastError?: string;
}

/**
 * The camera's state at `nowMs`. Failed and ended are final. Otherwise a camera with no frame
 * for `noFrameMs` (since its last frame, or since it started) is stalled; one whose last
 * frame came before its last stream drop is connecting again; else it runs. Pure.
 */
export function cameraStatus(watch: CameraWatch, nowMs: number, noFrameMs: number): CameraStatus {
  const hasFrame = watch.lastFrameAtMs !== undefined;
  const sinceFrameMs = Math.max(0, nowMs - (watch.lastFrameAtMs ?? watch.startedAtMs));
  const base = { sinceFrameMs, hasFrame, lastError: watch.failed ?? watch.lastError };
  if (watch.failed !== undefined) return { ...base, state: 'failed' };
  if (watch.ended) return { ...base, state: 'ended' };
  if (sinceFrameMs >= noFrameMs) return { ...base, state: 'stalled' };
  const droppedSinceFrame =
    watch.lastErrorAtMs !== undefined &&
    (watch.lastFrameAtMs === undefined || watch.lastErrorAtMs >= watch.lastFrameAtMs);
  if (!hasFrame || droppedSinceFrame) return { ...base, state: 'connecting' };
  return { ...base, state: 'running' };
}

/** True when the state turns /healthz red. */
export function isCameraRed(state: CameraStateName): boolean {
  return state === 'stalled' || state === 'failed';
}

/** One line for /healthz: `stalled: no frame for 31 s (last error: ...)`. */
export function describeCamera(status: CameraStatus): string {
  const seconds = (status.sinceFrameMs / 1000).toFixed(1);
  const frame = status.hasFrame ? `last frame ${seconds} s ago` : `no frame yet (${seconds} s)`;
  const error = status.lastError ? `; last error: ${status.lastError}` : '';
  return `${status.state}: ${frame}${error}`;
}

/** The cameras of one device, updated from their runs' events. Not pure: holds the watches. */
export class CameraBoard {
  readonly #watches = new Map<string, CameraWatch>();
  readonly #now: () => number;

  constructor(cameraIds: readonly string[], now: () => number = Date.now) {
    this.#now = now;
    for (const id of cameraIds) this.#watches.set(id, { startedAtMs: now() });
  }

  #update(id: string, change: Partial<CameraWatch>): void {
    const watch = this.#watches.get(id);
    if (watch) this.#watches.set(id, { ...watch, ...change });
  }

  frame(id: string): void {
    this.#update(id, { lastFrameAtMs: this.#now() });
  }

  dropped(id: string, reason: string): void {
    this.#update(id, { lastError: reason, lastErrorAtMs: this.#now() });
  }

  failed(id: string, reason: string): void {
    this.#update(id, { failed: reason });
  }

  ended(id: string): void {
    this.#update(id, { ended: true });
  }

  /** Every camera's status now. */
  statuses(noFrameMs: number): Map<string, CameraStatus> {
    const nowMs = this.#now();
    return new Map([...this.#watches].map(([id, watch]) => [id, cameraStatus(watch, nowMs, noFrameMs)]));
  }
}
