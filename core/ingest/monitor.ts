import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { INFRACTIONS_STREAM } from '../../proto/index.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';

/** The parts of the ingest consumer's info the stall check reads. */
export interface ConsumerSample {
  /** Messages in the stream not delivered to the consumer yet. */
  readonly numPending: number;
  /** Delivered, not acknowledged (nor terminated) yet. */
  readonly numAckPending: number;
  /** The consumer's limit on `numAckPending`; 0 or less for none. */
  readonly maxAckPending: number;
}

export interface StallLimits {
  readonly stallAfterMs: number;
  readonly monitorIntervalMs: number;
}

export type IngestVerdict =
  { readonly ok: true } | { readonly ok: false; readonly stalled: boolean; readonly detail: string };

/** Since when: the last message settled, and since each condition has been seen without a break. */
export interface Since {
  readonly settledAtMs: number;
  /** First seen with messages waiting for delivery; undefined when none wait. */
  readonly waitingSinceMs?: number | undefined;
  /** First seen at the ack-pending limit; undefined when below it. */
  readonly fullSinceMs?: number | undefined;
}

/**
 * Whether ingest is stalled. Pure. At its ack-pending limit the server delivers nothing more,
 * so the consumer is stalled once it stayed there a poll interval with nothing settled (a busy
 * consumer at the limit settles and is only throttled). Messages waiting for delivery with
 * nothing settled for `stallAfterMs` are a stall too; a burst after a quiet hour is not. An
 * info older than three intervals is no answer.
 */
export function judgeIngest(
  sample: { readonly info: ConsumerSample; readonly atMs: number } | undefined,
  since: Since,
  nowMs: number,
  limits: StallLimits,
): IngestVerdict {
  const staleMs = nowMs - (sample?.atMs ?? -Infinity);
  if (!sample || staleMs > 3 * limits.monitorIntervalMs)
    return { ok: false, stalled: false, detail: 'the ingest consumer info could not be read lately' };
  const { numPending, numAckPending, maxAckPending } = sample.info;
  const idle = (sinceMs: number | undefined): number => nowMs - Math.max(since.settledAtMs, sinceMs ?? Infinity);
  const none = `none settled for ${Math.round((nowMs - since.settledAtMs) / 1000)} s`;
  if (maxAckPending > 0 && numAckPending >= maxAckPending && idle(since.fullSinceMs) >= limits.monitorIntervalMs)
    return { ok: false, stalled: true, detail: `stalled: ${numAckPending} messages ack pending, the limit; ${none}` };
  if (numPending > 0 && idle(since.waitingSinceMs) >= limits.stallAfterMs)
    return { ok: false, stalled: true, detail: `stalled: ${numPending} messages waiting; ${none}` };
  return { ok: true };
}

/**
 * Watches the ingest consumer: reads its info on a timer (one request per interval, never per
 * message), exports ack pending, pending, stalled and the time of the last settled message
 * as metrics, and answers the health check.
 */
export class IngestMonitor {
  readonly #nc: NatsConnection;
  readonly #durableName: string;
  readonly #limits: StallLimits;
  readonly #metrics: CoreMetrics;
  readonly #logger: Logger;
  #lastSettledAtMs = Date.now();
  #sample: { info: ConsumerSample; atMs: number } | undefined;
  #waitingSinceMs: number | undefined;
  #fullSinceMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #wasStalled = false;

  constructor(nc: NatsConnection, durableName: string, limits: StallLimits, metrics: CoreMetrics, logger: Logger) {
    this.#nc = nc;
    this.#durableName = durableName;
    this.#limits = limits;
    this.#metrics = metrics;
    this.#logger = logger;
    metrics.ingestLastProgress.set(this.#lastSettledAtMs / 1000);
  }

  /** Ingest settled (acked) `count` messages. */
  settled(count: number): void {
    if (count <= 0) return;
    this.#lastSettledAtMs = Date.now();
    this.#metrics.ingestLastProgress.set(this.#lastSettledAtMs / 1000);
  }

  async start(): Promise<void> {
    await this.#poll();
    this.#timer = setInterval(() => {
      this.#polling ??= this.#poll().finally(() => (this.#polling = undefined));
    }, this.#limits.monitorIntervalMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      const jsm = await jetstreamManager(this.#nc, { checkAPI: false });
      const info = await jsm.consumers.info(INFRACTIONS_STREAM, this.#durableName);
      const sample = {
        numPending: info.num_pending,
        numAckPending: info.num_ack_pending,
        maxAckPending: info.config.max_ack_pending ?? 0,
      };
      const atMs = Date.now();
      this.#sample = { info: sample, atMs };
      this.#waitingSinceMs = sample.numPending > 0 ? (this.#waitingSinceMs ?? atMs) : undefined;
      const isFull = sample.maxAckPending > 0 && sample.numAckPending >= sample.maxAckPending;
      this.#fullSinceMs = isFull ? (this.#fullSinceMs ?? atMs) : undefined;
      this.#metrics.ingestAckPending.set(info.num_ack_pending);
      this.#metrics.ingestPending.set(info.num_pending);
    } catch (err) {
      this.#logger.warn({ err: errorMessage(err) }, 'cannot read the ingest consumer info');
    }
    this.check();
  }

  /** The health check's answer now; also sets the stalled metric and logs a change. */
  check(): IngestVerdict {
    const since = {
      settledAtMs: this.#lastSettledAtMs,
      waitingSinceMs: this.#waitingSinceMs,
      fullSinceMs: this.#fullSinceMs,
    };
    const verdict = judgeIngest(this.#sample, since, Date.now(), this.#limits);
    const stalled = !verdict.ok && verdict.stalled;
    this.#metrics.ingestStalled.set(stalled ? 1 : 0);
    if (stalled !== this.#wasStalled) {
      if (stalled) this.#logger.error({ detail: !verdict.ok && verdict.detail }, 'ingest is stalled');
      else this.#logger.info('ingest moves again');
      this.#wasStalled = stalled;
    }
    return verdict;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#polling;
  }
}
