import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { JetStreamManager, StreamInfo, StreamSource } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import {
  EDGE_STREAM,
  EVENTS_SUBJECT_WILDCARD,
  EVIDENCE_BUCKET,
  INFRACTIONS_STREAM,
  RECEIPTS_STREAM,
  RECEIPTS_SUBJECT_WILDCARD,
  TALLIES_SUBJECT_WILDCARD,
  siteSourceFilter,
} from '../../proto/index.js';
import { isTransientJsError, retryTransientJs } from './js-retry.js';

export interface TopologyOptions {
  readonly durableName: string;
  readonly ackWaitMs: number;
  /** Messages the consumer may hold unacknowledged; the server's default when left out. */
  readonly maxAckPending?: number;
  /** JetStream's duplicate window for event ids (exactly-once comes from the database, not from this). */
  readonly duplicateWindowMs: number;
  /** Sites with a leaf node; their JetStream domain is the site id. None by default. */
  readonly sites?: readonly string[];
  /** Default 30 days. */
  readonly receiptsMaxAgeMs?: number;
  /**
   * Copies of each hub stream, the evidence store and the ingest durable: 1 on a single
   * server, 3 (or 5) on a JetStream cluster so a node's loss loses nothing. Default 1.
   */
  readonly replicas?: number;
}

/** The hub's view of one site's stream: sourced across the leaf link through the site's domain. */
function siteSource(streamName: string, siteId: string, filter?: string): StreamSource {
  return {
    name: streamName,
    ...(filter ? { filter_subject: filter } : {}),
    external: { api: `$JS.${siteId}.API`, deliver: '' },
  };
}

/** Adds the sources a stream lacks; never removes one (a site taken out of config keeps its history). */
async function addSources(jsm: JetStreamManager, stream: string, wanted: readonly StreamSource[]): Promise<void> {
  const info = await retryTransientJs(`stream ${stream}`, () => jsm.streams.info(stream));
  const have = info.config.sources ?? [];
  const key = (s: StreamSource): string => `${s.name}@${s.external?.api ?? ''}`;
  const missing = wanted.filter((w) => !have.some((h) => key(h) === key(w)));
  if (missing.length > 0)
    await retryTransientJs(`stream ${stream}: add sources`, () =>
      jsm.streams.update(stream, { sources: [...have, ...missing] }),
    );
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjects: string[],
  extra: { duplicate_window?: number; max_age?: number },
  replicas: number,
): Promise<void> {
  // Undefined only when the server says there is no such stream; a slow answer is asked again.
  const info = (): Promise<StreamInfo | undefined> =>
    retryTransientJs(`stream ${name}`, () =>
      jsm.streams.info(name).catch((err: unknown) => {
        if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return undefined;
        throw err;
      }),
    );
  let existing = await info();
  if (!existing) {
    // Two setups at once (replicas started together): the one that lost the race finds it made.
    try {
      await jsm.streams.add({ name, subjects, storage: StorageType.File, num_replicas: replicas, ...extra });
    } catch (err) {
      existing = await info();
      if (!existing) throw err;
    }
  }
  const have = existing?.config.subjects ?? subjects;
  if (subjects.some((s) => !have.includes(s))) {
    // A stream from an older version: add the missing subjects, keep everything else.
    await retryTransientJs(`stream ${name}: add subjects`, () =>
      jsm.streams.update(name, { subjects: [...new Set([...have, ...subjects])] }),
    );
  }
  await ensureReplicas(jsm, name, replicas);
}

/** Scales an existing stream to `replicas` copies (a hub that grew from one server to a cluster). */
async function ensureReplicas(jsm: JetStreamManager, name: string, replicas: number): Promise<void> {
  const info = await retryTransientJs(`stream ${name}`, () => jsm.streams.info(name));
  if ((info.config.num_replicas || 1) !== replicas)
    await retryTransientJs(`stream ${name}: scale to ${replicas} copies`, () =>
      jsm.streams.update(name, { num_replicas: replicas }),
    );
}

/**
 * The hub's JetStream: the INFRACTIONS stream (sourcing every configured site's outbox,
 * filtered to that site's own subjects), the evidence store (ingest copies each site's
 * evidence into it, see EvidenceGate), the RECEIPTS stream and the durable ingest consumer.
 * Idempotent.
 */
export async function ensureIngestTopology(nc: NatsConnection, options: TopologyOptions): Promise<ObjectStore> {
  const jsm = await retryTransientJs('JetStream', () => jetstreamManager(nc));
  const replicas = options.replicas ?? 1;
  await ensureStream(
    jsm,
    INFRACTIONS_STREAM,
    [EVENTS_SUBJECT_WILDCARD, TALLIES_SUBJECT_WILDCARD],
    { duplicate_window: nanos(options.duplicateWindowMs) },
    replicas,
  );
  await ensureStream(
    jsm,
    RECEIPTS_STREAM,
    [RECEIPTS_SUBJECT_WILDCARD],
    {
      max_age: nanos(options.receiptsMaxAgeMs ?? 30 * 86_400_000),
      duplicate_window: nanos(options.duplicateWindowMs),
    },
    replicas,
  );
  const evidence = await retryTransientJs(`evidence store ${EVIDENCE_BUCKET}`, () =>
    new Objm(nc).create(EVIDENCE_BUCKET, { storage: StorageType.File, replicas }),
  );
  await ensureReplicas(jsm, `OBJ_${EVIDENCE_BUCKET}`, replicas);
  const sites = options.sites ?? [];
  if (sites.length > 0) {
    await addSources(
      jsm,
      INFRACTIONS_STREAM,
      sites.map((site) => siteSource(EDGE_STREAM, site, siteSourceFilter(site))),
    );
  }
  const limits = {
    ack_wait: nanos(options.ackWaitMs),
    ...(options.maxAckPending ? { max_ack_pending: options.maxAckPending } : {}),
  };
  await retryTransientJs(`consumer ${INFRACTIONS_STREAM}/${options.durableName}`, () =>
    jsm.consumers
      .add(INFRACTIONS_STREAM, {
        durable_name: options.durableName,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_deliver: -1,
        ...limits,
      })
      // A consumer made with other limits (servers from 2.10 refuse a create that changes it).
      .catch((err: unknown) => {
        if (isTransientJsError(err)) throw err;
        return jsm.consumers.update(INFRACTIONS_STREAM, options.durableName, limits);
      }),
  );
  return evidence;
}

/**
 * What the running core needs of the hub's JetStream, made by the setup identity
 * (`zebra nats setup hub`): the streams, the ingest durable, the evidence store, and each
 * configured site sourced. Only reads: the core's own NATS user cannot create or change any of
 * them. Throws naming what is missing.
 */
export async function openIngestTopology(nc: NatsConnection, options: TopologyOptions): Promise<ObjectStore> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const infractions = await jsm.streams.info(INFRACTIONS_STREAM).catch((err: unknown) => {
    throw new Error(`stream ${INFRACTIONS_STREAM}: ${String(err)}`);
  });
  await jsm.streams.info(RECEIPTS_STREAM).catch((err: unknown) => {
    throw new Error(`stream ${RECEIPTS_STREAM}: ${String(err)}`);
  });
  await js.consumers.get(INFRACTIONS_STREAM, options.durableName).then(
    (c) => c.info(),
    (err: unknown) => {
      throw new Error(`consumer ${INFRACTIONS_STREAM}/${options.durableName}: ${String(err)}`);
    },
  );
  const sourced = new Set((infractions.config.sources ?? []).map((s) => s.external?.api ?? ''));
  const unsourced = (options.sites ?? []).filter((site) => !sourced.has(`$JS.${site}.API`));
  if (unsourced.length > 0) throw new Error(`sites not sourced into ${INFRACTIONS_STREAM}: ${unsourced.join(', ')}`);
  return new Objm(nc).open(EVIDENCE_BUCKET).catch((err: unknown) => {
    throw new Error(`evidence store ${EVIDENCE_BUCKET}: ${String(err)}`);
  });
}
