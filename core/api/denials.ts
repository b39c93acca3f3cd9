import { appendAudit } from '../audit/audit-repo.js';
import type { AuditValue } from '../audit/entry.js';
import type { Database } from '../db/database.js';
import { grpcCodeName } from '../grpc/status-map.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';

export interface Denial {
  /** The authenticated user, or "anonymous" when no valid token came with the call. */
  readonly actor: string;
  /** The RPC path, e.g. "/zebra.v1.ReviewService/ApproveEvent". */
  readonly method: string;
  readonly code: string;
  readonly reason: string;
  readonly via: 'grpc' | 'http';
  readonly peer: string;
}

const MINUTE_MS = 60_000;
/** Distinct sources tracked per minute; the rest are counted together as "other". */
const MAX_SOURCES = 1_000;
/** Distinct methods named in one aggregate entry. */
const MAX_METHODS = 10;

interface Tally {
  readonly source: string;
  readonly minuteStartMs: number;
  readonly via: 'grpc' | 'http';
  count: number;
  readonly methods: Set<string>;
  lastAtMs: number;
}

/** "ipv4:127.0.0.1:5501", "[::1]:80", "10.0.0.1:443" → the address without the port. */
export function sourceOf(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\]/.exec(bare);
  if (bracketed) return bracketed[1]!;
  return /^([^:]+):\d+$/.exec(bare)?.[1] ?? bare;
}

/**
 * Audits refused calls. A refusal by a known user is one audit entry each (they carry a valid
 * token, so they are few and they name someone). Unauthenticated refusals cost an attacker
 * nothing, so they are aggregated: the first from a source in a minute is audited at once,
 * the rest of that minute as one entry with their count when the minute ends (or on flush).
 * So a flood from one source adds at most two entries a minute. Never throws.
 */
export class DenialLog {
  readonly #db: Database;
  readonly #metrics: CoreMetrics;
  readonly #logger: Logger;
  readonly #pending = new Map<string, Tally>();
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Database, metrics: CoreMetrics, logger: Logger) {
    this.#db = db;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  async record(denial: Denial, nowMs: number): Promise<void> {
    this.#metrics.apiDenials.inc({ method: denial.method, code: grpcCodeName(denial.code) });
    if (denial.actor !== 'anonymous') {
      this.#logger.warn({ denial }, 'call refused');
      return this.#append(nowMs, denial.actor, denial.method, {
        code: denial.code,
        reason: denial.reason,
        via: denial.via,
        peer: denial.peer,
      });
    }
    const minuteStartMs = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    await this.#flushBefore(minuteStartMs);
    let source = sourceOf(denial.peer);
    let key = `${denial.via} ${source}`;
    if (!this.#pending.has(key) && this.#pending.size >= MAX_SOURCES) {
      source = 'other';
      key = `${denial.via} other`;
    }
    const tally = this.#pending.get(key);
    if (tally) {
      tally.count += 1;
      tally.lastAtMs = nowMs;
      if (tally.methods.size < MAX_METHODS) tally.methods.add(denial.method);
      return;
    }
    this.#pending.set(key, { source, minuteStartMs, via: denial.via, count: 0, methods: new Set(), lastAtMs: nowMs });
    this.#arm();
    this.#logger.warn(
      { denial, source },
      'unauthenticated call refused; more from this source this minute are counted',
    );
    await this.#append(nowMs, 'anonymous', denial.method, {
      code: denial.code,
      reason: denial.reason,
      via: denial.via,
      peer: denial.peer,
      source,
      count: 1,
    });
  }

  /** Writes every pending count now (at shutdown; tests). */
  async flush(): Promise<void> {
    await this.#flushBefore(Number.POSITIVE_INFINITY);
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  #arm(): void {
    if (this.#timer) return;
    const nowMs = Date.now();
    const nextMinute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        void this.#flushBefore(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS).then(() => {
          if (this.#pending.size > 0) this.#arm();
        });
      },
      nextMinute - nowMs + 50,
    );
    this.#timer.unref();
  }

  async #flushBefore(minuteStartMs: number): Promise<void> {
    const due = [...this.#pending].filter(([, t]) => t.minuteStartMs < minuteStartMs);
    for (const [key] of due) this.#pending.delete(key);
    for (const [, t] of due) {
      if (t.count === 0) continue;
      await this.#append(t.lastAtMs, 'anonymous', `source:${t.source}`, {
        code: 'CORE_UNAUTHENTICATED',
        reason: `${t.count} more unauthenticated calls from ${t.source} in the minute from ${new Date(t.minuteStartMs).toISOString()}`,
        via: t.via,
        source: t.source,
        count: t.count,
        minuteStartMs: t.minuteStartMs,
        methods: [...t.methods],
      });
    }
  }

  async #append(atMs: number, actor: string, subject: string, details: Record<string, AuditValue>): Promise<void> {
    await this.#db
      .transaction((tx) => appendAudit(tx, { atMs, actor, action: 'auth.denied', subject, details }))
      .catch((err: unknown) => this.#logger.error({ err, subject }, 'could not audit a refused call'));
  }
}

const LOGS = new WeakMap<Database, DenialLog>();

/** The one DenialLog of a database, so every door (API, evidence links) aggregates together. */
export function denialLogFor(db: Database, metrics: CoreMetrics, logger: Logger): DenialLog {
  let log = LOGS.get(db);
  if (!log) {
    log = new DenialLog(db, metrics, logger);
    LOGS.set(db, log);
  }
  return log;
}

/**
 * Audits one refused call outside the API handlers (e.g. the evidence route), through the same
 * per-source aggregation as `ApiDeps.denials`. Never throws.
 */
export function recordDenial(
  db: Database,
  denial: Denial,
  nowMs: number,
  metrics: CoreMetrics,
  logger: Logger,
): Promise<void> {
  return denialLogFor(db, metrics, logger).record(denial, nowMs);
}
