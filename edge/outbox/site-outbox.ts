import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import {
  EDGE_STREAM,
  EVIDENCE_BUCKET,
  EVIDENCE_STREAM,
  RECEIPTS_STREAM,
  receiptSubject,
  receiptsDurable,
  siteOutboxSubjects,
  siteReceiptsFilter,
} from '../../proto/index.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { OutboxLimits } from './limits.js';

export interface SiteOutboxOptions {
  readonly siteId: string;
  readonly hubDomain: string;
  readonly limits: OutboxLimits;
  /** How long the site keeps receipts it has sourced. */
  readonly receiptsMaxAgeMs: number;
}

async function upsertStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const existing = await jsm.streams.info(config.name).then(
    (info) => info,
    () => undefined,
  );
  if (!existing) await jsm.streams.add(config);
  else await jsm.streams.update(config.name, { ...existing.config, ...config });
}

/**
 * The site's outbox on its leaf node, in the site's JetStream domain: the EDGE stream for
 * events and tallies, the evidence store, and a RECEIPTS stream sourcing this site's receipts
 * from the hub. Both outbox stores refuse new writes when full (discard new) and never
 * expire anything by age: only a receipt frees room. Idempotent; a resize applies on start.
 */
export async function ensureSiteOutbox(nc: NatsConnection, options: SiteOutboxOptions): Promise<ObjectStore> {
  try {
    const jsm = await jetstreamManager(nc);
    await upsertStream(jsm, {
      name: EDGE_STREAM,
      subjects: siteOutboxSubjects(options.siteId),
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      max_bytes: options.limits.eventsMaxBytes,
      max_age: 0,
    });
    const evidence = await new Objm(nc).create(EVIDENCE_BUCKET, {
      storage: StorageType.File,
      max_bytes: options.limits.evidenceMaxBytes,
    });
    const info = await jsm.streams.info(EVIDENCE_STREAM);
    if (info.config.max_bytes !== options.limits.evidenceMaxBytes || info.config.discard !== DiscardPolicy.New) {
      await jsm.streams.update(EVIDENCE_STREAM, {
        ...info.config,
        max_bytes: options.limits.evidenceMaxBytes,
        discard: DiscardPolicy.New,
      });
    }
    await upsertStream(jsm, {
      name: RECEIPTS_STREAM,
      storage: StorageType.File,
      max_age: nanos(options.receiptsMaxAgeMs),
      sources: [
        {
          name: RECEIPTS_STREAM,
          filter_subject: siteReceiptsFilter(options.siteId),
          external: { api: `$JS.${options.hubDomain}.API`, deliver: '' },
        },
      ],
    });
    return evidence;
  } catch (err) {
    throw new EdgeError(
      EdgeErrorCode.PUBLISH_FAILED,
      `cannot set up the site outbox on the leaf node (is JetStream enabled with domain ${options.siteId}?): ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/** The durable a device takes its receipts from, on the site's RECEIPTS stream (setup only). */
export async function ensureReceiptsDurable(nc: NatsConnection, siteId: string, deviceId: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(RECEIPTS_STREAM, {
    durable_name: receiptsDurable(deviceId),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: receiptSubject(siteId, deviceId),
    max_deliver: -1,
  });
}

/**
 * What the running edge needs of its site's outbox, made by the setup identity
 * (`zebra nats setup site`): the EDGE and RECEIPTS streams and the evidence store. Only reads:
 * a device's user cannot create or resize them. Throws naming what is missing.
 */
export async function openSiteOutbox(nc: NatsConnection, options: SiteOutboxOptions): Promise<ObjectStore> {
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    for (const stream of [EDGE_STREAM, RECEIPTS_STREAM]) {
      await jsm.streams.info(stream).catch((err: unknown) => {
        throw new Error(`stream ${stream}: ${errorMessage(err)}`);
      });
    }
    return await new Objm(nc).open(EVIDENCE_BUCKET);
  } catch (err) {
    throw new EdgeError(
      EdgeErrorCode.PUBLISH_FAILED,
      `the site outbox of ${options.siteId} is not set up on its leaf node (run \`zebra nats setup site\` ` +
        `with the setup identity): ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

export interface OutboxUsage {
  readonly eventsBytes: number;
  readonly evidenceBytes: number;
  /** Messages (events and tallies) not yet receipted. */
  readonly pending: number;
}

/** How full the outbox is now. */
export async function outboxUsage(nc: NatsConnection): Promise<OutboxUsage> {
  const jsm = await jetstreamManager(nc);
  const [events, evidence] = await Promise.all([jsm.streams.info(EDGE_STREAM), jsm.streams.info(EVIDENCE_STREAM)]);
  return { eventsBytes: events.state.bytes, evidenceBytes: evidence.state.bytes, pending: events.state.messages };
}
