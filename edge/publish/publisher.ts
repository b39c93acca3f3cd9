import { jetstream } from '@nats-io/jetstream';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { ObjectStore } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CandidateTally,
  EDGE_STREAM,
  EVIDENCE_BUCKET,
  InfractionEvent,
  eventSubject,
  natsInboxPrefix,
  tallySubject,
} from '../../proto/index.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { backoffDelayMs } from '../../proto/backoff.js';
import { isOutboxFullError } from '../outbox/js-errors.js';
import { openSiteOutbox } from '../outbox/site-outbox.js';

/** The longest wait between two tries of one publish. */
const MAX_RETRY_DELAY_MS = 30_000;
import type { SiteOutboxOptions } from '../outbox/site-outbox.js';

/** Sends evidence and events to the core. */
export interface EventPublisher {
  putEvidence(objectKey: string, bytes: Uint8Array, mediaType: string): Promise<void>;
  /** Resolves once JetStream has stored the event (not yet once the core has committed it). */
  publishEvent(event: InfractionEvent): Promise<void>;
  /** Publishes a signed rejected-candidate tally (the hour's full counts; later ones supersede it). */
  publishTally(tally: CandidateTally): Promise<void>;
  close(): Promise<void>;
}

export interface JetStreamPublisherOptions {
  readonly servers: readonly string[];
  readonly name: string;
  /** The device's NATS credentials (never anonymous). */
  readonly user: string;
  readonly password: string;
  /** The CA that signed the server's certificate (TLS is always on). */
  readonly caFile: string;
  /** Attempts per publish before giving up. */
  readonly maxAttempts: number;
  /** First retry delay; doubles up to 30 s. */
  readonly retryDelayMs: number;
  /** Set when `servers` is the site's leaf node: publish into the site outbox. */
  readonly outbox?: SiteOutboxOptions;
  /** Called on every write the full outbox refuses ('events' or 'evidence'). */
  readonly onOutboxFull?: (store: 'events' | 'evidence') => void;
}

/** Publishes over NATS JetStream: evidence into the object store, then the event with its id as the msgID. */
/** Opens the evidence store the setup identity made (a device may not administer streams). */
async function openEvidenceStore(nc: NatsConnection): Promise<ObjectStore> {
  return new Objm(nc).open(EVIDENCE_BUCKET).catch((err: unknown) => {
    throw new EdgeError(
      EdgeErrorCode.PUBLISH_FAILED,
      `the evidence store ${EVIDENCE_BUCKET} is not there (run \`zebra nats setup\` with the setup identity): ${errorMessage(err)}`,
      { cause: err },
    );
  });
}

export class JetStreamPublisher implements EventPublisher {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #evidence: ObjectStore;
  readonly #options: JetStreamPublisherOptions;
  readonly #logger: Logger;

  private constructor(nc: NatsConnection, evidence: ObjectStore, options: JetStreamPublisherOptions, logger: Logger) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#evidence = evidence;
    this.#options = options;
    this.#logger = logger;
    this.#watchStatus();
  }

  static async connect(options: JetStreamPublisherOptions, logger: Logger): Promise<JetStreamPublisher> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: [...options.servers],
        name: options.name,
        maxReconnectAttempts: -1,
        user: options.user,
        pass: options.password,
        inboxPrefix: natsInboxPrefix(options.user),
        tls: { caFile: options.caFile },
      });
    } catch (err) {
      throw new EdgeError(
        EdgeErrorCode.PUBLISH_FAILED,
        `cannot connect to NATS at ${options.servers.join(', ')}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    try {
      const evidence = options.outbox ? await openSiteOutbox(nc, options.outbox) : await openEvidenceStore(nc);
      return new JetStreamPublisher(nc, evidence, options, logger);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async #withRetry(what: string, store: 'events' | 'evidence', attempt: () => Promise<unknown>): Promise<void> {
    for (let n = 1; ; n++) {
      try {
        await attempt();
        return;
      } catch (err) {
        const isFull = isOutboxFullError(err);
        if (isFull) {
          this.#options.onOutboxFull?.(store);
          this.#logger.error(
            { reason: errorMessage(err), store, attempt: n },
            `ALERT: the site outbox is full (${store}); ${what} waits for receipts to free room, nothing old is evicted`,
          );
        }
        if (n >= this.#options.maxAttempts) {
          throw new EdgeError(
            isFull ? EdgeErrorCode.OUTBOX_FULL : EdgeErrorCode.PUBLISH_FAILED,
            `${what} failed after ${n} attempts: ${errorMessage(err)}`,
            { cause: err },
          );
        }
        const delayMs = backoffDelayMs(n, { firstDelayMs: this.#options.retryDelayMs, maxDelayMs: MAX_RETRY_DELAY_MS });
        if (!isFull) this.#logger.warn({ err, attempt: n, retryInMs: delayMs }, `${what} failed, retrying`);
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  async putEvidence(objectKey: string, bytes: Uint8Array, mediaType: string): Promise<void> {
    await this.#withRetry(`evidence ${objectKey}`, 'evidence', () =>
      this.#evidence.putBlob({ name: objectKey, description: mediaType }, bytes),
    );
  }

  async publishEvent(event: InfractionEvent): Promise<void> {
    const subject = eventSubject(event.siteId, event.deviceId, event.cameraId);
    const payload = InfractionEvent.encode(event).finish();
    await this.#withRetry(`event ${event.eventId}`, 'events', async () =>
      this.#checkOutbox(await this.#js.publish(subject, payload, { msgID: event.eventId })),
    );
  }

  async publishTally(tally: CandidateTally): Promise<void> {
    const subject = tallySubject(tally.siteId, tally.deviceId, tally.cameraId);
    const payload = CandidateTally.encode(tally).finish();
    await this.#withRetry(`tally ${tally.cameraId}@${tally.hourStartMs}`, 'events', async () =>
      this.#checkOutbox(await this.#js.publish(subject, payload)),
    );
  }

  /**
   * On a leaf node a write counts only once the site outbox holds it. (Not an expected-stream
   * header: that header travels with the message and the hub would refuse it when sourcing.)
   */
  #checkOutbox(ack: PubAck): void {
    if (this.#options.outbox && ack.stream !== EDGE_STREAM) {
      throw new EdgeError(
        EdgeErrorCode.PUBLISH_FAILED,
        `stored in stream ${ack.stream}, not the site outbox ${EDGE_STREAM}: is nats.servers the site's leaf node?`,
      );
    }
  }

  /** The evidence store written to (the site's own, on a leaf node). */
  get evidenceStore(): ObjectStore {
    return this.#evidence;
  }

  /** The NATS connection, for the site's signal controller feed. */
  get connection(): NatsConnection {
    return this.#nc;
  }

  /** Whether the connection to NATS is up. */
  get isConnected(): boolean {
    return !this.#nc.isClosed() && this.#isUp;
  }

  #isUp = true;

  #watchStatus(): void {
    void (async () => {
      for await (const s of this.#nc.status()) {
        if (s.type === 'disconnect') this.#isUp = false;
        if (s.type === 'reconnect') this.#isUp = true;
        this.#logger.info({ natsStatus: s.type }, 'nats status');
      }
    })();
  }

  async close(): Promise<void> {
    await this.#nc.drain();
  }
}
