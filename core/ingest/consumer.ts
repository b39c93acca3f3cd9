import { jetstream } from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { INFRACTIONS_STREAM } from '../../proto/index.js';
import type { InfractionEvent, Receipt, ReceiptSigningKey } from '../../proto/index.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';
import { checkDeviceSignature, checkEventSignature, checkEventSignatureAsync } from '../devices/devices-repo.js';
import type { DeviceKeyCache, SignatureRefusal } from '../devices/devices-repo.js';
import type { SignatureVerifier } from '../devices/signature-verifier.js';
import { MessageBatcher } from './batcher.js';
import { CURABLE } from './release.js';
import { QuarantineBudget } from './quarantine-budget.js';
import { storeQuarantined } from './quarantine-store.js';
import { honoursTermReason } from './server-version.js';
import type { QuarantineItem } from './quarantine-store.js';
import type { EvidenceGate } from './evidence-check.js';
import { eventReceipt, quarantineReceipt, sendReceipts, tallyReceipt } from './receipts.js';
import { isSequenceConflict, storeVerifiedEvent, storeVerifiedEvents } from './store.js';
import { isTallySubject, storeTally, validateTallyMessage } from './tallies.js';
import { DEFAULT_EVENT_BOUNDS, definedOnly } from './event-bounds.js';
import { validateEventMessage } from './validate.js';
import type { ReceiveBounds, RejectionCode } from './validate.js';

export { ensureIngestTopology, openIngestTopology } from './topology.js';

export interface IngestOptions {
  readonly durableName: string;
  readonly batchSize: number;
  /** Delay before a message that hit a transient error is redelivered. */
  readonly retryDelayMs: number;
  /** Delay before an event whose evidence is not at the hub yet is redelivered. */
  readonly evidenceRetryMs: number;
  /** The window an event's times must fall in around the receive time (event-bounds.ts). */
  readonly maxFutureSkewMs?: number;
  readonly maxEventAgeMs?: number;
  /** Junk kept as quarantine rows per minute; the rest is counted (see QuarantineBudget). */
  readonly junkRowsPerMinute: number;
  /** Payload bytes kept per junk row. */
  readonly junkPayloadBytes: number;
}

export interface IngestDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly metrics: CoreMetrics;
  readonly devices: DeviceKeyCache;
  /** An event is stored only once all its evidence is in the hub's store. */
  readonly evidence: EvidenceGate;
  /** Device signatures of batched events, off the event loop. */
  readonly verifier: SignatureVerifier;
  /** Signs receipts, so a site purges nothing on a receipt the core did not send. */
  readonly receiptKey: ReceiptSigningKey;
  /** Told of every message settled, for the stall check (IngestMonitor). */
  readonly progress?: { settled(count: number): void };
}

/** Batches stored at once: one, so the stream order holds. */
const BATCHES_IN_FLIGHT = 1;

type QuarantineCode = RejectionCode | SignatureRefusal | 'evidence_mismatch';

interface Checked {
  readonly kind: 'ready';
  readonly msg: JsMsg;
  readonly event: InfractionEvent;
  readonly keyId: string;
}

interface Refused {
  readonly kind: 'refused';
  readonly msg: JsMsg;
  readonly code: QuarantineCode;
  readonly reason: string;
  /** A curable refusal's event (see CURABLE). */
  readonly curable?: InfractionEvent | undefined;
}

/** What the batch check found: stored together, quarantined together, or one at a time. */
type Verdict = Checked | Refused | { readonly kind: 'single'; readonly msg: JsMsg };

/**
 * The ingest loop: decode, verify, wait for the evidence, store idempotently, publish the
 * receipt, then ack. Refused messages are quarantined (within a budget for junk), then acked:
 * the quarantine is their storage, and a plain ack is honoured by every server version.
 */
export class IngestConsumer {
  readonly #deps: IngestDeps;
  readonly #options: IngestOptions;
  #messages: ConsumerMessages | undefined;
  #js: JetStreamClient | undefined;
  /** Receipts and acks of committed batches, in order; never rejects. */
  #settling: Promise<void> = Promise.resolve();
  readonly #budget: QuarantineBudget;

  constructor(deps: IngestDeps, options: IngestOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#budget = new QuarantineBudget(options);
  }

  #settled(count: number): void {
    this.#deps.progress?.settled(count);
  }

  /** Starts consuming; `done` settles when the consumer is stopped. */
  async start(nc: NatsConnection): Promise<{ done: Promise<void> }> {
    this.#js = jetstream(nc);
    const version = nc.info?.version ?? 'unknown';
    this.#deps.logger.info(
      { natsServer: version, termWithReason: honoursTermReason(version) },
      'quarantined messages are acked once their quarantine commits, on every server version',
    );
    const consumer = await this.#js.consumers.get(INFRACTIONS_STREAM, this.#options.durableName);
    const messages = await consumer.consume({ max_messages: this.#options.batchSize });
    this.#messages = messages;
    const batches = new MessageBatcher(messages, this.#options.batchSize);
    // A batch is verified (on the thread pool) while the one before it is stored. Batches are
    // stored one at a time: stream order decides which of two events claiming the same camera
    // sequence number is kept.
    const done = (async () => {
      const storing = new Set<Promise<void>>();
      for await (const batch of batches) {
        const checking = this.#checkAll(batch);
        while (storing.size >= BATCHES_IN_FLIGHT) await Promise.race(storing);
        const stored: Promise<void> = checking
          .then((verdicts) => this.#handleBatch(verdicts))
          .finally(() => storing.delete(stored));
        storing.add(stored);
      }
      await Promise.all(storing);
      await this.#settling;
    })();
    return { done };
  }

  async #receipts(receipts: readonly Receipt[], outcome: 'stored' | 'quarantined'): Promise<void> {
    await sendReceipts(this.#js!, receipts, this.#deps.receiptKey);
    this.#deps.metrics.receiptsSent.inc({ outcome }, receipts.length);
  }

  /**
   * Stores the batch's valid events whose evidence is at the hub in one transaction, and acks
   * them after the commit and their receipts; quarantines the refused ones in one transaction
   * too. Every other message, and any batch whose transaction fails, takes the one-message
   * path, which handles each case on its own.
   */
  #checkAll(batch: readonly JsMsg[]): Promise<Verdict[]> {
    return Promise.all(batch.map((msg) => this.#check(msg)));
  }

  async #handleBatch(verdicts: readonly Verdict[]): Promise<void> {
    const ready = verdicts.filter((v): v is Checked => v.kind === 'ready');
    const refused = verdicts.filter((v): v is Refused => v.kind === 'refused');
    const single = verdicts.filter((v) => v.kind === 'single').map((v) => v.msg);
    if (ready.length > 1) {
      try {
        const isNew = await this.#deps.db.transaction((tx) =>
          storeVerifiedEvents(
            tx,
            ready.map((r) => ({
              event: r.event,
              message: { streamSeq: r.msg.seq, payload: r.msg.data },
              signatureKeyId: r.keyId,
            })),
          ),
        );
        // Committed: the receipts and acks go out while the next batch is stored.
        this.#settling = this.#settling.then(() => this.#settleBatch(ready, isNew));
      } catch (err) {
        if (!isSequenceConflict(err))
          this.#deps.logger.warn({ err, events: ready.length }, 'batch failed; storing one at a time');
        single.push(...ready.map((r) => r.msg));
      }
    } else single.push(...ready.map((r) => r.msg));
    if (refused.length > 0) {
      try {
        await this.#quarantine(refused);
      } catch (err) {
        this.#deps.logger.warn({ err, messages: refused.length }, 'quarantine failed; one at a time');
        single.push(...refused.map((r) => r.msg));
      }
    }
    if (single.length > 0) await this.#settling;
    for (const msg of single.sort((a, b) => a.seq - b.seq)) await this.#handle(msg);
  }

  /**
   * Receipts, then acks, for a committed batch. If the receipts cannot be published the
   * messages are redelivered: storing them again finds them stored, and receipts them then.
   */
  async #settleBatch(ready: readonly Checked[], isNew: readonly boolean[]): Promise<void> {
    const { metrics, logger } = this.#deps;
    try {
      const atMs = Date.now();
      await this.#receipts(
        ready.map((r) => eventReceipt(r.event, r.msg, atMs)),
        'stored',
      );
    } catch (err) {
      logger.warn({ err, events: ready.length }, 'receipts not published; the batch will be redelivered');
      for (const r of ready) r.msg.nak(this.#options.retryDelayMs);
      return;
    }
    // A lost ack only means a redelivery, which the event id turns into a duplicate.
    for (const r of ready) r.msg.ack();
    this.#settled(ready.length);
    for (const stored of isNew) metrics.ingested.inc({ outcome: stored ? 'stored' : 'duplicate' });
    logger.debug({ events: ready.length }, 'batch ingested');
  }

  /**
   * Sorts one message for the batch: a valid, signed event with all its evidence at the hub is
   * ready; a message refused whatever its evidence (or, for a curable refusal, with its
   * evidence settled) is refused; anything else takes the one-message path.
   */
  async #check(msg: JsMsg): Promise<Verdict> {
    const single = { kind: 'single', msg } as const;
    const refuse = (code: QuarantineCode, reason: string, curable?: InfractionEvent): Refused => ({
      kind: 'refused',
      msg,
      code,
      reason,
      curable,
    });
    try {
      if (isTallySubject(msg.subject)) {
        const tally = validateTallyMessage(msg.subject, msg.data, this.#receive());
        return tally.ok ? single : refuse(tally.code, tally.reason);
      }
      const result = validateEventMessage(msg.subject, msg.data, this.#receive());
      if (!result.ok) return refuse(result.code, result.reason);
      const { event } = result;
      const device = await this.#deps.devices.get(event.deviceId, Date.now());
      const signed = await checkEventSignatureAsync(event, device, msg.data, this.#deps.verifier);
      if (!signed.ok && !CURABLE.includes(signed.code)) return refuse(signed.code, signed.reason);
      const evidence = await this.#deps.evidence.ensure(event);
      if (!evidence.ok && evidence.kind === 'missing') return single;
      if (!signed.ok) return refuse(signed.code, signed.reason, event);
      return evidence.ok ? { kind: 'ready', msg, event, keyId: signed.keyId } : single;
    } catch {
      return single;
    }
  }

  /**
   * Keeps refused messages in the quarantine table (each row audited once; junk over the
   * budget only counted), then sends their receipts and acks them: after the commit, so
   * nothing is acked that is not kept or counted. The device gets a receipt so it may purge
   * its copy, except for evidence that does not match its signature: the site's copy is then
   * the one to examine. A curable message whose device was registered meanwhile is put back.
   */
  async #quarantine(refused: readonly Refused[]): Promise<void> {
    const { db, metrics, logger } = this.#deps;
    const atMs = Date.now();
    const items: QuarantineItem[] = refused.map((r) => ({
      streamSeq: r.msg.seq,
      subject: r.msg.subject,
      code: r.code,
      reason: r.reason,
      payload: r.msg.data,
      plan: this.#budget.plan(r.msg.subject, r.code, r.msg.data, atMs),
      curable: r.curable,
    }));
    // A device registered since its cached lookup: under the device's lock (which the release
    // after a registration takes too), either the registration is visible here, or the
    // release runs after this row is committed and sees it. Never a row left behind.
    const outcomes = await db.transaction((tx) => storeQuarantined(tx, items, atMs));
    const done = refused.filter((_, i) => outcomes[i] !== 'registered');
    for (const r of refused.filter((_, i) => outcomes[i] === 'registered')) {
      this.#deps.devices.forget(r.curable!.deviceId);
      logger.info(
        { streamSeq: r.msg.seq, deviceId: r.curable!.deviceId },
        'device registered meanwhile; checking again',
      );
      r.msg.nak();
    }
    const counted = new Map<string, number>();
    refused.forEach((r, i) => {
      if (outcomes[i] === 'registered') return;
      metrics.rejected.inc({ reason: r.code });
      if (outcomes[i] === 'counted') {
        metrics.junkCounted.inc({ reason: r.code });
        counted.set(r.code, (counted.get(r.code) ?? 0) + 1);
      } else {
        logger.warn(
          { streamSeq: r.msg.seq, subject: r.msg.subject, reasonCode: r.code, reason: r.reason },
          'message quarantined',
        );
      }
    });
    if (counted.size > 0)
      logger.warn({ byReason: Object.fromEntries(counted) }, 'junk over the quarantine budget: counted, not kept');
    // Committed: the receipts and acks go out while the next batch is handled.
    this.#settling = this.#settling.then(() => this.#settleQuarantined(done));
  }

  /** Receipts, then acks, for committed quarantine rows and counts; on failure they are redelivered (a row is kept once). */
  async #settleQuarantined(done: readonly Refused[]): Promise<void> {
    const atMs = Date.now();
    const receipts = done
      .filter((r) => r.code !== 'evidence_mismatch')
      .map((r) => quarantineReceipt(r.msg, atMs))
      .filter((r): r is Receipt => r !== undefined);
    try {
      if (receipts.length > 0) await this.#receipts(receipts, 'quarantined');
    } catch (err) {
      this.#deps.logger.warn(
        { err, messages: done.length },
        'receipts not published; the messages will be redelivered',
      );
      for (const r of done) r.msg.nak(this.#options.retryDelayMs);
      return;
    }
    for (const r of done) r.msg.ack();
    this.#settled(done.length);
  }

  #quarantineOne(msg: JsMsg, code: QuarantineCode, reason: string, curable?: InfractionEvent): Promise<void> {
    return this.#quarantine([{ kind: 'refused', msg, code, reason, curable }]);
  }

  async #handleTally(msg: JsMsg): Promise<void> {
    const result = validateTallyMessage(msg.subject, msg.data, this.#receive());
    if (!result.ok) return this.#quarantineOne(msg, result.code, result.reason);
    const { tally } = result;
    const device = await this.#deps.devices.get(tally.deviceId, Date.now());
    const signed = checkDeviceSignature(tally, result.signingBytes, device);
    if (!signed.ok) return this.#quarantineOne(msg, signed.code, signed.reason);
    await this.#deps.db.transaction((tx) => storeTally(tx, tally, msg.seq));
    await this.#receipts([tallyReceipt(tally, msg, Date.now())], 'stored');
    await msg.ackAck();
    this.#settled(1);
    this.#deps.metrics.ingested.inc({ outcome: 'tally' });
  }

  async #handleEvent(msg: JsMsg): Promise<void> {
    const { db, metrics, logger } = this.#deps;
    const result = validateEventMessage(msg.subject, msg.data, this.#receive());
    if (!result.ok) return this.#quarantineOne(msg, result.code, result.reason);
    const { event } = result;
    const signed = checkEventSignature(event, await this.#deps.devices.get(event.deviceId, Date.now()));
    if (!signed.ok && !CURABLE.includes(signed.code)) return this.#quarantineOne(msg, signed.code, signed.reason);
    // A curable refusal (the device is not registered yet) is released from the quarantine
    // table later; its receipt lets the site purge its copy, so its evidence comes first too.
    const evidence = await this.#deps.evidence.ensure(event);
    if (!evidence.ok && evidence.kind === 'missing')
      return this.#waitForEvidence(msg, event, evidence.objectKeys.length, evidence.why);
    if (!signed.ok) return this.#quarantineOne(msg, signed.code, signed.reason, event);
    if (!evidence.ok) {
      return this.#quarantineOne(
        msg,
        'evidence_mismatch',
        `evidence at the hub does not match the signed SHA-256: ${evidence.objectKeys.join(', ')}`,
      );
    }
    let isNew: boolean;
    try {
      isNew = await db.transaction((tx) =>
        storeVerifiedEvent(tx, event, { streamSeq: msg.seq, payload: msg.data }, signed.keyId),
      );
    } catch (err) {
      if (!isSequenceConflict(err)) throw err;
      const { deviceId, cameraId, cameraSeq, eventId } = event;
      return this.#quarantineOne(
        msg,
        'sequence_conflict',
        `${deviceId}/${cameraId} seq ${cameraSeq} is already held by another event than ${eventId}`,
      );
    }
    await this.#receipts([eventReceipt(event, msg, Date.now())], 'stored');
    await msg.ackAck();
    this.#settled(1);
    metrics.ingested.inc({ outcome: isNew ? 'stored' : 'duplicate' });
    logger.debug({ eventId: event.eventId, streamSeq: msg.seq, isNew }, 'event ingested');
  }

  #waitForEvidence(msg: JsMsg, event: InfractionEvent, missing: number, why: string): void {
    this.#deps.metrics.evidenceWaits.inc();
    this.#deps.logger.info(
      { eventId: event.eventId, missing, why, retryInMs: this.#options.evidenceRetryMs },
      'evidence not at the hub yet; the event waits for it',
    );
    msg.nak(this.#options.evidenceRetryMs);
  }

  async #handle(msg: JsMsg): Promise<void> {
    try {
      if (isTallySubject(msg.subject)) await this.#handleTally(msg);
      else await this.#handleEvent(msg);
    } catch (err) {
      this.#deps.metrics.ingestErrors.inc();
      this.#deps.logger.error({ err, streamSeq: msg.seq }, 'ingest failed, will be redelivered');
      msg.nak(this.#options.retryDelayMs);
    }
  }

  #receive(): ReceiveBounds {
    const { maxFutureSkewMs, maxEventAgeMs } = this.#options;
    return {
      nowMs: Date.now(),
      bounds: { ...DEFAULT_EVENT_BOUNDS, ...definedOnly({ maxFutureSkewMs, maxEventAgeMs }) },
    };
  }

  async stop(): Promise<void> {
    await this.#messages?.close();
  }
}
