import { CURABLE } from './release.js';

/**
 * Refusals of messages that may be genuine and must be kept whole: those a registration cures
 * (released from the quarantine table later), and those of events a registered device signed
 * correctly (evidence that does not match, a camera sequence number already taken). Every other
 * refusal is junk: unsigned, undecodable, forged or misaddressed.
 */
export function isJunk(code: string): boolean {
  return !CURABLE.includes(code) && code !== 'evidence_mismatch' && code !== 'sequence_conflict';
}

const MINUTE_MS = 60_000;

/** Sources counted apart per minute; any further one is counted under this name. */
export const OTHER_SOURCES = '*';

/**
 * Who sent a message, as far as the subject tells: `zebra.v1.<kind>.<site>.<device>`, the level
 * NATS permissions grant publishing at (a device may choose its camera token freely).
 */
export function sourceOf(subject: string): string {
  return subject.split('.').slice(0, 5).join('.').slice(0, 200);
}

/** How one refused message is kept: a row (its payload possibly capped), or only counted. */
export type QuarantinePlan =
  | { readonly kind: 'row'; readonly payload: Uint8Array }
  | { readonly kind: 'count'; readonly minuteStartMs: number; readonly source: string };

export interface QuarantineBudgetOptions {
  /** Junk rows kept per minute, across every source and reason. */
  readonly junkRowsPerMinute: number;
  /** Payload bytes kept per junk row. */
  readonly junkPayloadBytes: number;
  /** Sources counted apart per minute; default 50. */
  readonly sourcesPerMinute?: number;
}

/**
 * Bounds what a flood of junk writes: per minute, the first `junkRowsPerMinute` junk messages
 * are kept as rows with at most `junkPayloadBytes` of payload; the rest are counted per source
 * and reason. Messages that may be genuine (see {@link isJunk}) are always kept whole. Pure
 * apart from its counters; the caller passes the time.
 */
export class QuarantineBudget {
  readonly #options: Required<QuarantineBudgetOptions>;
  #minuteStartMs = -1;
  #rows = 0;
  readonly #sources = new Set<string>();

  constructor(options: QuarantineBudgetOptions) {
    this.#options = { sourcesPerMinute: 50, ...options };
  }

  plan(subject: string, code: string, payload: Uint8Array, nowMs: number): QuarantinePlan {
    if (!isJunk(code)) return { kind: 'row', payload };
    const minuteStartMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    if (minuteStartMs !== this.#minuteStartMs) {
      this.#minuteStartMs = minuteStartMs;
      this.#rows = 0;
      this.#sources.clear();
    }
    if (this.#rows < this.#options.junkRowsPerMinute) {
      this.#rows += 1;
      const cap = this.#options.junkPayloadBytes;
      return { kind: 'row', payload: payload.length > cap ? payload.subarray(0, cap) : payload };
    }
    let source = sourceOf(subject);
    if (!this.#sources.has(source)) {
      if (this.#sources.size < this.#options.sourcesPerMinute) this.#sources.add(source);
      else source = OTHER_SOURCES;
    }
    return { kind: 'count', minuteStartMs, source };
  }
}
