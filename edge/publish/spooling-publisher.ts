import type { NatsConnection } from '@nats-io/transport-node';
import type { CandidateTally, InfractionEvent } from '../../proto/index.js';
import { backoffDelayMs } from '../../proto/backoff.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EdgeMetrics } from '../metrics.js';
import type { EventPublisher } from './publisher.js';
import { EventSpool } from './spool.js';

/** What the spool sends through: the site outbox (or the hub) over NATS. */
export interface SpoolTarget extends EventPublisher {
  readonly isConnected: boolean;
  readonly connection?: NatsConnection;
}

export interface SpoolingOptions {
  /** First wait after a failed send; doubles up to `maxRetryDelayMs`. */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
}

const DRAIN_POLL_MS = 50;

/**
 * Write-ahead publishing: an event and its evidence are on the device's disk before any send
 * is tried, and leave it only once the site outbox holds them. A send that fails (the leaf
 * node down, the outbox full) is tried again, oldest first, with a capped backoff, for as long
 * as it takes, and after a restart too: nothing signed is ever dropped.
 */
export class SpoolingPublisher implements SpoolTarget {
  readonly #spool: EventSpool;
  readonly #target: SpoolTarget;
  readonly #logger: Logger;
  readonly #metrics: EdgeMetrics | undefined;
  readonly #options: SpoolingOptions;
  #draining: Promise<void> | undefined;
  #again = false;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Failed drains in a row: the backoff's attempt. */
  #failures = 0;
  #closed = false;
  #waitingSinceMs: number | undefined;

  constructor(spool: EventSpool, target: SpoolTarget, logger: Logger, options: SpoolingOptions, metrics?: EdgeMetrics) {
    this.#spool = spool;
    this.#target = target;
    this.#logger = logger;
    this.#options = options;
    this.#metrics = metrics;
  }

  /** Starts sending whatever an earlier run left in the spool. */
  static async open(
    root: string,
    target: SpoolTarget,
    logger: Logger,
    options: SpoolingOptions,
    metrics?: EdgeMetrics,
  ): Promise<SpoolingPublisher> {
    const { spool, discarded } = await EventSpool.open(root);
    if (discarded.length > 0)
      logger.warn({ discarded }, 'evidence of events never signed (the device stopped first) removed from the spool');
    const publisher = new SpoolingPublisher(spool, target, logger, options, metrics);
    const left = (await spool.ready()).length;
    if (left > 0) logger.info({ events: left }, 'sending events an earlier run left in the spool');
    publisher.#kick();
    return publisher;
  }

  get isConnected(): boolean {
    return this.#target.isConnected;
  }

  get connection(): NatsConnection | undefined {
    return this.#target.connection;
  }

  putEvidence(objectKey: string, bytes: Uint8Array, mediaType: string): Promise<void> {
    return this.#spool.putEvidence(objectKey, bytes, mediaType);
  }

  /** Resolves once the event is on the device's disk; sending follows. */
  async publishEvent(event: InfractionEvent): Promise<void> {
    await this.#spool.add(event);
    this.#kick();
  }

  /** Resolves once the tally is on the device's disk; sending follows. */
  async publishTally(tally: CandidateTally): Promise<void> {
    await this.#spool.addTally(tally);
    this.#kick();
  }

  /** Since when messages have waited in the spool without it emptying; undefined while empty. */
  get waitingSinceMs(): number | undefined {
    return this.#waitingSinceMs;
  }

  #setWaiting(messages: number): void {
    this.#metrics?.spooledMessages.set(messages);
    this.#waitingSinceMs = messages > 0 ? (this.#waitingSinceMs ?? Date.now()) : undefined;
  }

  #kick(): void {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#again) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    this.#again = false;
    const names = await this.#spool.ready();
    this.#setWaiting(names.length);
    for (const [i, name] of names.entries()) {
      if (this.#closed) return;
      try {
        await this.#send(name);
        this.#setWaiting(names.length - i - 1);
      } catch (err) {
        this.#failures += 1;
        const delayMs = backoffDelayMs(this.#failures, {
          firstDelayMs: this.#options.retryDelayMs,
          maxDelayMs: this.#options.maxRetryDelayMs,
        });
        this.#logger.error(
          { err, event: name, waiting: names.length - i, retryInMs: delayMs },
          `ALERT: spooled events cannot be sent (${errorMessage(err)}); they stay on the device and are tried again`,
        );
        this.#retryTimer = setTimeout(() => this.#kick(), delayMs);
        return;
      }
    }
    this.#failures = 0;
  }

  async #send(name: string): Promise<void> {
    let spooled;
    try {
      spooled = await this.#spool.load(name);
    } catch (err) {
      this.#logger.error({ err, event: name }, 'ALERT: a spooled event is unreadable; set aside, never sent');
      await this.#spool.quarantine(name);
      return;
    }
    if (spooled.kind === 'tally') await this.#target.publishTally(spooled.tally);
    else {
      for (const object of spooled.evidence)
        await this.#target.putEvidence(object.objectKey, await spooled.read(object), object.mediaType);
      await this.#target.publishEvent(spooled.event);
    }
    await this.#spool.remove(name);
  }

  /** Resolves once the spool is empty, or after `timeoutMs`; says which. */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.#draining && (await this.#spool.ready()).length === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
  }

  /** Waits up to `drainMs` for the spool to empty (what is left goes out on the next start), then closes. */
  async close(drainMs = 0): Promise<void> {
    const isEmpty = drainMs > 0 ? await this.drained(drainMs) : false;
    if (!isEmpty) {
      const left = (await this.#spool.ready()).length;
      if (left > 0) this.#logger.warn({ events: left }, 'stopping with events in the spool; the next start sends them');
    }
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#draining;
    await this.#target.close();
  }
}
