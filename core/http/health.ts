import { isCheckpointStale, readCheckpointLag, uncoveredAgeMs } from '../audit/checkpoint-age.js';
import type { CheckpointLag } from '../audit/checkpoint-age.js';
import type { Database } from '../db/database.js';
import { errorMessage } from '../errors.js';
import type { IngestVerdict } from '../ingest/monitor.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';
import { QUEUE_COUNT_CAP, oldestItemAgeMs, readQueueAge } from '../review/queue-age.js';
import type { QueueAge } from '../review/queue-age.js';

export interface CoreHealthLimits {
  readonly checkIntervalMs: number;
  readonly checkpointIntervalMs: number;
  readonly checkpointSlackMs: number;
  readonly reviewQueueMaxAgeMs: number;
}

/** The last read of the checkpoint lag and the review queue. */
export interface HealthSample {
  readonly atMs: number;
  readonly lag: CheckpointLag;
  readonly queue: QueueAge;
}

export interface CoreHealthInputs {
  readonly database: string;
  readonly nats: string;
  readonly ingest: IngestVerdict;
  readonly sample: HealthSample | undefined;
}

export interface CoreHealth {
  readonly ok: boolean;
  readonly checks: Record<string, string>;
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/**
 * /healthz's verdict: red when the database or NATS is down, ingest is stalled, an audit entry
 * waited for a checkpoint longer than the interval plus slack, the oldest open review item is
 * older than its SLA, or the last two reads of those failed. Pure.
 */
export function judgeCoreHealth(inputs: CoreHealthInputs, limits: CoreHealthLimits, nowMs: number): CoreHealth {
  const checks: Record<string, string> = {
    database: inputs.database,
    nats: inputs.nats,
    ingest: inputs.ingest.ok ? 'ok' : inputs.ingest.detail,
  };
  const sample = inputs.sample;
  if (!sample || nowMs - sample.atMs > 3 * limits.checkIntervalMs) {
    checks.checkpoint = checks.reviewQueue = 'not read lately (see the log)';
  } else {
    const checkpointLimits = { intervalMs: limits.checkpointIntervalMs, slackMs: limits.checkpointSlackMs };
    const waited = uncoveredAgeMs(sample.lag, nowMs);
    checks.checkpoint = isCheckpointStale(sample.lag, nowMs, checkpointLimits)
      ? `stale: ${sample.lag.logSize - sample.lag.coveredSize} entries waited ${seconds(waited)} for a checkpoint`
      : 'ok';
    const age = oldestItemAgeMs(sample.queue, nowMs);
    const items = `${sample.queue.items}${sample.queue.items >= QUEUE_COUNT_CAP ? '+' : ''} items`;
    checks.reviewQueue =
      age > limits.reviewQueueMaxAgeMs
        ? `over SLA: the oldest of ${items} was captured ${seconds(age)} ago (SLA ${seconds(limits.reviewQueueMaxAgeMs)})`
        : `ok: ${items}`;
  }
  const ok = Object.values(checks).every((c) => c === 'ok' || c.startsWith('ok:'));
  return { ok, checks };
}

/**
 * The core's health: reads the checkpoint lag and the review queue on a timer (index lookups,
 * never per request), exports them as metrics, and answers /healthz from that cache plus a
 * `SELECT 1`, NATS's state and the ingest monitor's verdict.
 */
export class CoreHealthMonitor {
  readonly #db: Database;
  readonly #limits: CoreHealthLimits;
  readonly #metrics: CoreMetrics;
  readonly #logger: Logger;
  #sample: HealthSample | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;

  constructor(db: Database, limits: CoreHealthLimits, metrics: CoreMetrics, logger: Logger) {
    this.#db = db;
    this.#limits = limits;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  async start(): Promise<void> {
    await this.#read();
    this.#timer = setInterval(() => {
      this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    }, this.#limits.checkIntervalMs);
    this.#timer.unref();
  }

  async #read(): Promise<void> {
    try {
      const [lag, queue] = [await readCheckpointLag(this.#db), await readQueueAge(this.#db)];
      const atMs = Date.now();
      this.#sample = { atMs, lag, queue };
      const m = this.#metrics;
      if (lag.checkpointAtMs !== undefined) m.checkpointTimestamp.set(lag.checkpointAtMs / 1000);
      m.checkpointUncoveredAge.set(uncoveredAgeMs(lag, atMs) / 1000);
      const checkpointLimits = {
        intervalMs: this.#limits.checkpointIntervalMs,
        slackMs: this.#limits.checkpointSlackMs,
      };
      m.checkpointStale.set(isCheckpointStale(lag, atMs, checkpointLimits) ? 1 : 0);
      m.reviewQueueItems.set(queue.items);
      const age = oldestItemAgeMs(queue, atMs);
      m.reviewQueueOldestAge.set(age / 1000);
      m.reviewQueueOverSla.set(age > this.#limits.reviewQueueMaxAgeMs ? 1 : 0);
    } catch (err) {
      this.#logger.warn({ err: errorMessage(err) }, 'cannot read the checkpoint lag or the review queue');
    }
  }

  /** /healthz's answer now; sets zebra_core_healthy. */
  async check(parts: { readonly nats: string; readonly ingest: IngestVerdict }): Promise<CoreHealth> {
    const database = await this.#db.query('SELECT 1').then(
      () => 'ok',
      (err: unknown) => errorMessage(err),
    );
    const health = judgeCoreHealth({ database, ...parts, sample: this.#sample }, this.#limits, Date.now());
    this.#metrics.healthy.set(health.ok ? 1 : 0);
    return health;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#reading;
  }
}
