import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEdgeLogger } from '../../edge/index.js';
import type { Logger } from '../../edge/index.js';
import { createEdgeMetrics } from '../../edge/metrics.js';
import type { EdgeMetrics } from '../../edge/metrics.js';
import { ReceiptPurger, outboxLimits } from '../../edge/outbox/index.js';
import type { CoreKey } from '../../edge/outbox/index.js';
import { testCoreKey } from './core-key.js';
import type { OutboxSizing } from '../../edge/outbox/index.js';
import { loadOrCreateDeviceKey } from '../../edge/publish/device-key.js';
import type { DeviceKey } from '../../edge/publish/device-key.js';
import { signEvent } from '../../edge/publish/event-builder.js';
import { JetStreamPublisher } from '../../edge/publish/publisher.js';
import type { EventPublisher } from '../../edge/publish/publisher.js';
import { SpoolingPublisher } from '../../edge/publish/spooling-publisher.js';
import type { SpoolTarget } from '../../edge/publish/spooling-publisher.js';
import { FileSequencer } from '../../edge/publish/sequencer.js';
import { HUB_DOMAIN, evidenceObjectKey } from '../../proto/index.js';
import type { EvidenceRef } from '../../proto/index.js';
import { makeEvent, testDeviceKey } from './events.js';
import type { NatsClientTarget } from './nats.js';
import { TEST_SITE_SIZING } from './nats-setup.js';

export interface SiteProducerOptions {
  /** The site's leaf node and this device's user there (see TestNats.client). */
  readonly site: NatsClientTarget;
  readonly siteId: string;
  readonly deviceId: string;
  readonly cameraId: string;
  /** Device key, sequence counter and the produced-ids file. */
  readonly stateDir: string;
  /** Bytes of evidence per event (a clip and a keyframe). */
  readonly evidenceBytes: number;
  readonly sizing?: OutboxSizing;
  /** Publish attempts before an event counts as refused. */
  readonly maxAttempts?: number;
  readonly logger?: Logger;
  /** The core key receipts must be signed with; default: the test cores' key. */
  readonly coreKey?: CoreKey;
  /**
   * Send through the edge's write-ahead spool (<stateDir>/spool), as a real device does
   * (default). `false` sends straight to the site outbox, for tests of the outbox itself.
   */
  readonly spool?: boolean;
}

/** What a producer's log says: the events acknowledged, and those sent without a known outcome. */
export async function producedLog(stateDir: string): Promise<{ produced: string[]; indeterminate: string[] }> {
  const lines = (await readFile(join(stateDir, 'produced.log'), 'utf8')).trim().split('\n');
  const ok = lines.filter((l) => l.startsWith('ok ')).map((l) => l.slice(3));
  const okSet = new Set(ok);
  const indeterminate = lines.filter((l) => l.startsWith('attempt ') && !okSet.has(l.slice(8))).map((l) => l.slice(8));
  return { produced: ok, indeterminate };
}

/**
 * The site outbox as the spool's target, writing `upload <key>` before each evidence upload
 * and `uploaded <key>` after it to produced.log, so a test can tell a kill landed inside one.
 */
function loggedTarget(target: JetStreamPublisher, stateDir: string): SpoolTarget {
  const log = (line: string): Promise<void> => appendFile(join(stateDir, 'produced.log'), `${line}\n`);
  return {
    get isConnected() {
      return target.isConnected;
    },
    get connection() {
      return target.connection;
    },
    async putEvidence(objectKey, bytes, mediaType) {
      await log(`upload ${objectKey}`);
      await target.putEvidence(objectKey, bytes, mediaType);
      await log(`uploaded ${objectKey}`);
    },
    publishEvent: (event) => target.publishEvent(event),
    publishTally: (tally) => target.publishTally(tally),
    close: () => target.close(),
  };
}

/** The evidence upload a log shows begun and not finished (the kill landed inside it), if any. */
export async function uploadCutShort(stateDir: string): Promise<string | undefined> {
  const lines = (await readFile(join(stateDir, 'produced.log'), 'utf8')).trim().split('\n');
  const begun = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('upload ')) begun.add(line.slice(7));
    if (line.startsWith('uploaded ')) begun.delete(line.slice(9));
  }
  return [...begun].at(-1);
}

/**
 * A device without perception: the edge's real spool, publisher, outbox and receipt purger,
 * fed with signed events carrying random evidence. `<stateDir>/produced.log` gets
 * `attempt <id>` before each event and `ok <id>` once the device holds it for sending: in its
 * spool (as the real edge: on disk, sent for as long as it takes, after a restart too), or,
 * with `spool: false`, acknowledged by the site outbox ({@link producedLog}).
 */
export class SiteProducer {
  readonly metrics: EdgeMetrics;
  readonly produced: string[] = [];
  refused = 0;
  readonly #options: SiteProducerOptions;
  readonly #publisher: EventPublisher;
  readonly #transport: JetStreamPublisher;
  readonly #purger: ReceiptPurger;
  readonly #sequencer: FileSequencer;
  readonly #key: DeviceKey;

  private constructor(
    options: SiteProducerOptions,
    publisher: EventPublisher,
    transport: JetStreamPublisher,
    purger: ReceiptPurger,
    sequencer: FileSequencer,
    key: DeviceKey,
    metrics: EdgeMetrics,
  ) {
    this.#options = options;
    this.#publisher = publisher;
    this.#transport = transport;
    this.#purger = purger;
    this.#sequencer = sequencer;
    this.#key = key;
    this.metrics = metrics;
  }

  /** The key a producer with this state folder signs with (created on first use), for registering the device. */
  static deviceKey(stateDir: string): Promise<DeviceKey> {
    return loadOrCreateDeviceKey(join(stateDir, 'device-key.pem'));
  }

  static async start(options: SiteProducerOptions): Promise<SiteProducer> {
    const logger = options.logger ?? createEdgeLogger('warn');
    const metrics = createEdgeMetrics();
    const limits = outboxLimits(options.sizing ?? TEST_SITE_SIZING, 1);
    const publisher = await JetStreamPublisher.connect(
      {
        servers: [options.site.url],
        user: options.site.user,
        password: options.site.password,
        caFile: options.site.caFile,
        name: `producer-${options.deviceId}`,
        maxAttempts: options.maxAttempts ?? 3,
        retryDelayMs: 50,
        outbox: { siteId: options.siteId, hubDomain: HUB_DOMAIN, limits, receiptsMaxAgeMs: 86_400_000 },
        onOutboxFull: (store) => metrics.outboxRefusals.inc({ store }),
      },
      logger,
    );
    const ids = { siteId: options.siteId, deviceId: options.deviceId, coreKey: options.coreKey ?? testCoreKey() };
    const purger = await ReceiptPurger.start(publisher, ids, logger, metrics);
    const sequencer = await FileSequencer.open(options.stateDir, options.cameraId);
    const key = await SiteProducer.deviceKey(options.stateDir);
    const sending =
      options.spool === false
        ? publisher
        : await SpoolingPublisher.open(
            join(options.stateDir, 'spool'),
            loggedTarget(publisher, options.stateDir),
            logger,
            { retryDelayMs: 50, maxRetryDelayMs: 1_000 },
            metrics,
          );
    return new SiteProducer(options, sending, publisher, purger, sequencer, key, metrics);
  }

  async #evidence(eventId: string): Promise<EvidenceRef[]> {
    const { siteId, cameraId, evidenceBytes } = this.#options;
    const parts = [
      { file: 'entry.jpg', role: 'entry', mediaType: 'image/jpeg', bytes: randomBytes(Math.ceil(evidenceBytes / 10)) },
      {
        file: 'clip.webm',
        role: 'clip',
        mediaType: 'video/webm',
        bytes: randomBytes(evidenceBytes - Math.ceil(evidenceBytes / 10)),
      },
    ];
    const refs: EvidenceRef[] = [];
    for (const part of parts) {
      const objectKey = evidenceObjectKey(siteId, cameraId, eventId, part.file);
      await this.#publisher.putEvidence(objectKey, part.bytes, part.mediaType);
      refs.push({
        objectKey,
        sha256Hex: createHash('sha256').update(part.bytes).digest('hex'),
        mediaType: part.mediaType,
        sizeBytes: part.bytes.length,
        widthPx: 0,
        heightPx: 0,
        frameCapturedAtMs: Date.now(),
        redaction: undefined,
        role: part.role,
        clipEndCapturedAtMs: 0,
        clipFrames: 0,
      });
    }
    return refs;
  }

  /** Stores evidence, then the signed event; 'refused' when the outbox turned it away. */
  async produceOne(): Promise<'produced' | 'refused'> {
    const { siteId, deviceId, cameraId, stateDir } = this.#options;
    const eventId = randomUUID();
    // Written before the send and after its ack: a kill in between leaves an attempt whose
    // outcome is unknown (see checkDelivery's indeterminate).
    await appendFile(join(stateDir, 'produced.log'), `attempt ${eventId}\n`);
    try {
      const evidence = await this.#evidence(eventId);
      const cameraSeq = await this.#sequencer.next();
      const unsigned = makeEvent(testDeviceKey().privateKey, {
        eventId,
        siteId,
        deviceId,
        cameraId,
        cameraSeq,
        evidence,
      });
      await this.#publisher.publishEvent(signEvent(unsigned, this.#key));
    } catch (err) {
      this.refused += 1;
      this.#options.logger?.warn({ err, eventId }, 'event refused');
      return 'refused';
    }
    this.produced.push(eventId);
    await appendFile(join(stateDir, 'produced.log'), `ok ${eventId}\n`);
    return 'produced';
  }

  /** Produces `count` events, one every `intervalMs`. */
  async produce(count: number, intervalMs = 0): Promise<void> {
    for (let i = 0; i < count; i++) {
      await this.produceOne();
      if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  get evidenceStore(): JetStreamPublisher['evidenceStore'] {
    return this.#transport.evidenceStore;
  }

  get connection(): JetStreamPublisher['connection'] {
    return this.#transport.connection;
  }

  /** Stops, after up to `drainMs` for the spool to send what it holds (the rest stays on disk for a restart). */
  async close(drainMs = 60_000): Promise<void> {
    await this.#purger.close();
    // The spool closes the site connection it sends through.
    if (this.#publisher instanceof SpoolingPublisher) await this.#publisher.close(drainMs);
    else await this.#transport.close();
  }
}
