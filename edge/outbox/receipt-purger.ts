import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  EDGE_STREAM,
  EVIDENCE_STREAM,
  InfractionEvent,
  RECEIPTS_STREAM,
  Receipt,
  ReceiptKind,
  ReceiptOutcome,
  eventSubject,
  evidenceChunkSubject,
  evidenceMetaSubject,
  openReceiptBatch,
  receiptsDurable,
  tallySubject,
} from '../../proto/index.js';
import { isMessageGone } from './js-errors.js';
import type { Logger } from '../logger.js';
import type { EdgeMetrics } from '../metrics.js';
import type { CoreKey } from './core-key.js';

export interface ReceiptPurgerOptions {
  readonly siteId: string;
  readonly deviceId: string;
  /** The core's receipt key this device pins: a batch signed by anything else purges nothing. */
  readonly coreKey: CoreKey;
}

/** What one receipt allows the device to purge: the outbox message and, for an event, its evidence. */
export type PurgeTarget =
  | { readonly kind: 'none'; readonly why: string }
  | { readonly kind: 'message'; readonly seq: number; readonly evidenceKeys: readonly string[] };

/**
 * Decides what a receipt lets the device purge, given the outbox message it names. Pure. The
 * message must be this device's, on the receipt's camera, and (for an event) the very event
 * the core committed; anything else purges nothing.
 */
export function purgeTarget(
  receipt: Receipt,
  stored: { readonly subject: string; readonly data: Uint8Array } | undefined,
  options: Pick<ReceiptPurgerOptions, 'siteId' | 'deviceId'>,
): PurgeTarget {
  if (receipt.sourceSequence <= 0) return { kind: 'none', why: 'the message did not come from this outbox' };
  if (!stored) return { kind: 'none', why: 'already purged' };
  const { siteId, deviceId } = options;
  const seq = receipt.sourceSequence;
  const eventSubj = eventSubject(siteId, deviceId, receipt.cameraId);
  const tallySubj = tallySubject(siteId, deviceId, receipt.cameraId);
  if (stored.subject !== eventSubj && stored.subject !== tallySubj)
    return { kind: 'none', why: `outbox message ${seq} is on ${stored.subject}, not this receipt's` };
  if (stored.subject === tallySubj) return { kind: 'message', seq, evidenceKeys: [] };
  let event: InfractionEvent | undefined;
  try {
    event = InfractionEvent.decode(stored.data);
  } catch {
    event = undefined;
  }
  if (receipt.outcome === ReceiptOutcome.RECEIPT_OUTCOME_STORED) {
    if (receipt.kind !== ReceiptKind.RECEIPT_KIND_EVENT || event?.eventId !== receipt.eventId)
      return { kind: 'none', why: `outbox message ${seq} is not event ${receipt.eventId}` };
  }
  return { kind: 'message', seq, evidenceKeys: event?.evidence.map((e) => e.objectKey) ?? [] };
}

/**
 * Applies the core's receipts to the site outbox: once the core has committed an event (or
 * quarantined it, keeping the bytes), the event and its evidence leave the site. Purges are
 * stream purges, which sourcing does not copy, so the hub's copies stay.
 */
export class ReceiptPurger {
  readonly #nc: NatsConnection;
  readonly #evidence: ObjectStore;
  readonly #options: ReceiptPurgerOptions;
  readonly #logger: Logger;
  readonly #metrics: EdgeMetrics;
  #messages: ConsumerMessages | undefined;
  #done: Promise<void> = Promise.resolve();

  private constructor(
    outbox: { readonly connection: NatsConnection; readonly evidenceStore: ObjectStore },
    options: ReceiptPurgerOptions,
    logger: Logger,
    metrics: EdgeMetrics,
  ) {
    this.#nc = outbox.connection;
    this.#evidence = outbox.evidenceStore;
    this.#options = options;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  /** Starts applying receipts to the outbox behind `outbox` (the publisher's connection and evidence store). */
  static async start(
    outbox: { readonly connection: NatsConnection; readonly evidenceStore: ObjectStore },
    options: ReceiptPurgerOptions,
    logger: Logger,
    metrics: EdgeMetrics,
  ): Promise<ReceiptPurger> {
    const purger = new ReceiptPurger(outbox, options, logger, metrics);
    await purger.#start();
    return purger;
  }

  async #start(): Promise<void> {
    const jsm = await jetstreamManager(this.#nc, { checkAPI: false });
    // Made by the setup identity (`zebra nats setup site`): the device may only read from it.
    const durable = receiptsDurable(this.#options.deviceId);
    const consumer = await jetstream(this.#nc).consumers.get(RECEIPTS_STREAM, durable);
    this.#messages = await consumer.consume({ max_messages: 64 });
    const messages = this.#messages;
    this.#done = (async () => {
      for await (const msg of messages) await this.#apply(jsm, msg);
    })();
  }

  async #apply(jsm: JetStreamManager, msg: JsMsg): Promise<void> {
    const opened = openReceiptBatch(msg.data, this.#options.coreKey);
    if (!opened.ok) {
      // Never from the core, or altered on the way: it purges nothing, now or later.
      this.#metrics.receiptsRefused.inc({ reason: opened.reason });
      this.#logger.warn({ seq: msg.seq, reason: opened.reason, detail: opened.detail }, 'receipt refused');
      // A plain terminate: nats-server before 2.10.4 ignores one with a reason and redelivers.
      msg.term();
      return;
    }
    const { receipts } = opened;
    try {
      for (const receipt of receipts) await this.#applyOne(jsm, receipt);
      msg.ack();
    } catch (err) {
      this.#logger.warn({ err, seq: msg.seq }, 'receipt not applied yet; retrying');
      msg.nak(1_000);
    }
  }

  async #applyOne(jsm: JetStreamManager, receipt: Receipt): Promise<void> {
    const stored = await jsm.streams.getMessage(EDGE_STREAM, { seq: receipt.sourceSequence }).catch((err: unknown) => {
      if (isMessageGone(err)) return undefined;
      throw err;
    });
    const target = purgeTarget(receipt, stored ?? undefined, this.#options);
    if (target.kind === 'none') {
      if (target.why !== 'already purged')
        this.#logger.warn({ receipt: Receipt.toJSON(receipt), why: target.why }, 'receipt purges nothing');
      return;
    }
    for (const key of target.evidenceKeys) await this.#purgeObject(jsm, key);
    await jsm.streams.deleteMessage(EDGE_STREAM, target.seq, false).catch((err: unknown) => {
      if (!isMessageGone(err)) throw err;
    });
    const kind = receipt.kind === ReceiptKind.RECEIPT_KIND_TALLY ? 'tally' : 'event';
    const outcome = receipt.outcome === ReceiptOutcome.RECEIPT_OUTCOME_STORED ? 'stored' : 'quarantined';
    this.#metrics.receiptsApplied.inc({ kind, outcome });
    this.#logger.debug({ eventId: receipt.eventId, seq: target.seq, outcome }, 'receipted; purged from the outbox');
  }

  async #purgeObject(jsm: JetStreamManager, objectKey: string): Promise<void> {
    const info = await this.#evidence.info(objectKey);
    if (!info) return;
    await jsm.streams.purge(EVIDENCE_STREAM, { filter: evidenceChunkSubject(info.nuid) });
    await jsm.streams.purge(EVIDENCE_STREAM, { filter: evidenceMetaSubject(objectKey) });
  }

  async close(): Promise<void> {
    await this.#messages?.close();
    await this.#done;
  }
}
