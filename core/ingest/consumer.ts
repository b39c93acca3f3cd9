import { AckPolicy, DeliverPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { InfractionEvent } from '../../proto/index.js';
import { MessageBatcher } from './batcher.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import { EVENTS_SUBJECT_WILDCARD, INFRACTIONS_STREAM, TALLIES_SUBJECT_WILDCARD } from '../../proto/index.js';
import type { Database } from '../db/database.js';
import { appendAudit } from '../audit/audit-repo.js';
import { insertQuarantine } from '../events/events-repo.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';
import { checkDeviceSignature, checkEventSignature } from '../devices/devices-repo.js';
import type { DeviceKeyCache, SignatureRefusal } from '../devices/devices-repo.js';
import { isSequenceConflict, sha256Hex, storeVerifiedEvent, storeVerifiedEvents } from './store.js';
import { isTallySubject, storeTally, validateTallyMessage } from './tallies.js';
import { validateEventMessage } from './validate.js';
import type { RejectionCode } from './validate.js';

export interface IngestOptions {
  readonly durableName: string;
  readonly batchSize: number;
  /** How long JetStream waits for an ack before redelivering. */
  readonly ackWaitMs: number;
  /** Delay before a message that hit a transient error is redelivered. */
  readonly retryDelayMs: number;
  /** JetStream's duplicate window for event ids (exactly-once comes from the database, not from this). */
  readonly duplicateWindowMs: number;
}

/** Creates the INFRACTIONS stream and the durable ingest consumer if they are missing. */
export async function ensureIngestTopology(nc: NatsConnection, options: IngestOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const subjects = [EVENTS_SUBJECT_WILDCARD, TALLIES_SUBJECT_WILDCARD];
  const existing = await jsm.streams.info(INFRACTIONS_STREAM).then(
    (info) => info,
    () => undefined,
  );
  if (!existing) {
    await jsm.streams.add({
      name: INFRACTIONS_STREAM,
      subjects,
      storage: StorageType.File,
      duplicate_window: nanos(options.duplicateWindowMs),
    });
  } else if (subjects.some((s) => !existing.config.subjects?.includes(s))) {
    // A stream from before tallies existed: add their subjects, keep everything else.
    await jsm.streams.update(INFRACTIONS_STREAM, {
      subjects: [...new Set([...(existing.config.subjects ?? []), ...subjects])],
    });
  }
  await jsm.consumers.add(INFRACTIONS_STREAM, {
    durable_name: options.durableName,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: -1,
  });
}

/** The ingest loop: decode, store idempotently, ack after commit; quarantine and terminate poison messages. */
export class IngestConsumer {
  readonly #db: Database;
  readonly #logger: Logger;
  readonly #metrics: CoreMetrics;
  readonly #options: IngestOptions;
  readonly #devices: DeviceKeyCache;
  #messages: ConsumerMessages | undefined;

  constructor(db: Database, logger: Logger, metrics: CoreMetrics, options: IngestOptions, devices: DeviceKeyCache) {
    this.#db = db;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#options = options;
    this.#devices = devices;
  }

  /** Starts consuming; `done` settles when the consumer is stopped. */
  async start(nc: NatsConnection): Promise<{ done: Promise<void> }> {
    const consumer = await jetstream(nc).consumers.get(INFRACTIONS_STREAM, this.#options.durableName);
    const messages = await consumer.consume({ max_messages: this.#options.batchSize });
    this.#messages = messages;
    const batches = new MessageBatcher(messages, this.#options.batchSize);
    const done = (async () => {
      for await (const batch of batches) await this.#handleBatch(batch);
    })();
    return { done };
  }

  /**
   * Stores the batch's valid events in one transaction and acks them after the commit. Any
   * message that is not a plain valid event (a tally, a refusal to quarantine) and any batch
   * whose transaction fails take the one-message path, which handles each case on its own.
   */
  async #handleBatch(batch: readonly JsMsg[]): Promise<void> {
    const ready: { msg: JsMsg; event: InfractionEvent; keyId: string }[] = [];
    const single: JsMsg[] = [];
    for (const msg of batch) {
      const checked = isTallySubject(msg.subject) ? undefined : await this.#check(msg);
      if (checked) ready.push({ msg, ...checked });
      else single.push(msg);
    }
    if (ready.length > 1) {
      try {
        const isNew = await this.#db.transaction((tx) =>
          storeVerifiedEvents(
            tx,
            ready.map((r) => ({
              event: r.event,
              message: { streamSeq: r.msg.seq, payload: r.msg.data },
              signatureKeyId: r.keyId,
            })),
          ),
        );
        await Promise.all(ready.map((r) => r.msg.ackAck()));
        for (const stored of isNew) this.#metrics.ingested.inc({ outcome: stored ? 'stored' : 'duplicate' });
        this.#logger.debug({ events: ready.length }, 'batch ingested');
      } catch (err) {
        if (!isSequenceConflict(err))
          this.#logger.warn({ err, events: ready.length }, 'batch failed; storing one at a time');
        single.push(...ready.map((r) => r.msg));
      }
    } else single.push(...ready.map((r) => r.msg));
    for (const msg of single.sort((a, b) => a.seq - b.seq)) await this.#handle(msg);
  }

  /** A valid event whose signature verifies, or undefined when the message needs the one-message path. */
  async #check(msg: JsMsg): Promise<{ event: InfractionEvent; keyId: string } | undefined> {
    try {
      const result = validateEventMessage(msg.subject, msg.data);
      if (!result.ok) return undefined;
      const signed = checkEventSignature(result.event, await this.#devices.get(result.event.deviceId, Date.now()));
      return signed.ok ? { event: result.event, keyId: signed.keyId } : undefined;
    } catch {
      return undefined;
    }
  }

  async #quarantine(msg: JsMsg, code: RejectionCode | SignatureRefusal, reason: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const isNew = await insertQuarantine(tx, {
        streamSeq: msg.seq,
        subject: msg.subject,
        reasonCode: code,
        reason,
        payload: msg.data,
      });
      if (!isNew) return;
      await appendAudit(tx, {
        atMs: Date.now(),
        actor: 'system:ingest',
        action: 'message.quarantined',
        subject: `stream:${msg.seq}`,
        details: { reasonCode: code, reason, natsSubject: msg.subject, payloadSha256: sha256Hex(msg.data) },
      });
    });
    this.#metrics.rejected.inc({ reason: code });
    this.#logger.warn({ streamSeq: msg.seq, subject: msg.subject, reasonCode: code, reason }, 'message quarantined');
    msg.term(reason.slice(0, 200));
  }

  async #handleTally(msg: JsMsg): Promise<void> {
    const result = validateTallyMessage(msg.subject, msg.data);
    if (!result.ok) return this.#quarantine(msg, result.code, result.reason);
    const { tally } = result;
    const signed = checkDeviceSignature(
      tally,
      result.signingBytes,
      await this.#devices.get(tally.deviceId, Date.now()),
    );
    if (!signed.ok) return this.#quarantine(msg, signed.code, signed.reason);
    await this.#db.transaction((tx) => storeTally(tx, tally, msg.seq));
    await msg.ackAck();
    this.#metrics.ingested.inc({ outcome: 'tally' });
  }

  async #handle(msg: JsMsg): Promise<void> {
    try {
      if (isTallySubject(msg.subject)) return await this.#handleTally(msg);
      const result = validateEventMessage(msg.subject, msg.data);
      if (!result.ok) return await this.#quarantine(msg, result.code, result.reason);
      const { event } = result;
      const signed = checkEventSignature(event, await this.#devices.get(event.deviceId, Date.now()));
      if (!signed.ok) return await this.#quarantine(msg, signed.code, signed.reason);
      let isNew: boolean;
      try {
        isNew = await this.#db.transaction((tx) =>
          storeVerifiedEvent(tx, event, { streamSeq: msg.seq, payload: msg.data }, signed.keyId),
        );
      } catch (err) {
        if (!isSequenceConflict(err)) throw err;
        const { deviceId, cameraId, cameraSeq, eventId } = result.event;
        return await this.#quarantine(
          msg,
          'sequence_conflict',
          `${deviceId}/${cameraId} seq ${cameraSeq} is already held by another event than ${eventId}`,
        );
      }
      await msg.ackAck();
      this.#metrics.ingested.inc({ outcome: isNew ? 'stored' : 'duplicate' });
      this.#logger.debug({ eventId: result.event.eventId, streamSeq: msg.seq, isNew }, 'event ingested');
    } catch (err) {
      this.#metrics.ingestErrors.inc();
      this.#logger.error({ err, streamSeq: msg.seq }, 'ingest failed, will be redelivered');
      msg.nak(this.#options.retryDelayMs);
    }
  }

  async stop(): Promise<void> {
    await this.#messages?.close();
  }
}
