import type { Logger } from '../logger.js';
import type { RefusalReason } from './report-gate.js';

/**
 * Logs refused signal reports without letting junk flood the log: the first refusal at once,
 * then at most one line per `everyMs` with the counts by reason since the last line.
 */
export class RefusalLog {
  readonly #logger: Logger;
  readonly #everyMs: number;
  readonly #now: () => number;
  #counts: Partial<Record<RefusalReason, number>> = {};
  #last: { reason: RefusalReason; detail: string } | undefined;
  #loggedAtMs = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, everyMs: number, now: () => number) {
    this.#logger = logger;
    this.#everyMs = everyMs;
    this.#now = now;
  }

  add(reason: RefusalReason, detail: string): void {
    this.#counts[reason] = (this.#counts[reason] ?? 0) + 1;
    this.#last = { reason, detail };
    const waitMs = this.#loggedAtMs + this.#everyMs - this.#now();
    if (waitMs <= 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), waitMs).unref();
  }

  /** Writes what is pending now (also on close). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#last) return;
    this.#logger.warn(
      { refused: this.#counts, lastReason: this.#last.reason, lastDetail: this.#last.detail },
      'signal reports refused: the signal did not move',
    );
    this.#counts = {};
    this.#last = undefined;
    this.#loggedAtMs = this.#now();
  }
}
