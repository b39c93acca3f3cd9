/** Capped exponential backoff, the one every part of zebra uses where it tries again. */
export interface Backoff {
  /** The wait before the first retry; each later one doubles it. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/** The wait before retry `attempt` (1-based): `firstDelayMs` doubled per attempt, capped at `maxDelayMs`. Pure. */
export function backoffDelayMs(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxDelayMs, backoff.firstDelayMs * 2 ** Math.max(0, attempt - 1));
}
