import { createHash } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVIDENCE_BUCKET, EVIDENCE_STREAM, evidenceChunkSubject, objectStoreDigest } from '../../proto/index.js';
import type { EvidenceRef, InfractionEvent } from '../../proto/index.js';
import { errorMessage } from '../errors.js';

export type EvidenceCheck =
  | { readonly ok: true }
  /** Neither at the hub nor reachable at the site yet (link down, still uploading): try again later. */
  | { readonly ok: false; readonly kind: 'missing'; readonly objectKeys: readonly string[]; readonly why: string }
  /** At the hub or the site but not what the device signed. */
  | { readonly ok: false; readonly kind: 'mismatch'; readonly objectKeys: readonly string[] };

type RefOutcome = 'ok' | 'missing' | 'mismatch';

/** Evidence objects copied from sites at once. */
const MAX_CONCURRENT_COPIES = 8;

/** Each request to a site's JetStream (object info, one chunk) gives up after this. */
const SITE_REQUEST_TIMEOUT_MS = 5_000;

/** After a failed read from a site, no new read from it for this long. */
const UNREACHABLE_BACKOFF_MS = 2_000;

/** An event's evidence not settled by then waits for the next delivery. */
const ENSURE_TIMEOUT_MS = 25_000;

/**
 * Reads a whole object from a site's store chunk by chunk with direct gets: one bounded
 * request per chunk, no consumer. (nats.js reads objects through an ordered consumer; across the
 * leaf link such reads were seen to hang with no error, holding ingest: the hub-kill fault
 * test stalled on them.) Resolves null for an object the store does not hold.
 */
async function readObject(site: SiteStore, name: string): Promise<Uint8Array | null> {
  const info = await site.store.info(name);
  if (!info || info.deleted) return null;
  const subject = evidenceChunkSubject(info.nuid);
  const parts: Uint8Array[] = [];
  let seq = 0;
  for (let i = 0; i < info.chunks; i++) {
    const chunk = await site.jsm.direct.getMessage(EVIDENCE_STREAM, { next_by_subj: subject, seq: seq + 1 });
    if (!chunk) throw new Error(`chunk ${i + 1} of ${info.chunks} of ${name} is missing`);
    parts.push(chunk.data);
    seq = chunk.seq;
  }
  const bytes = Buffer.concat(parts);
  if (bytes.length !== info.size) throw new Error(`read ${bytes.length} of ${info.size} bytes of ${name}`);
  return bytes;
}

interface SiteStore {
  readonly store: ObjectStore;
  readonly jsm: JetStreamManager;
}

/**
 * Makes sure the hub holds every evidence object a signed event names, with the SHA-256 the
 * device signed. An object not at the hub yet is copied from the site's own store over the
 * leaf link (through the site's JetStream domain), checked against the signed hash first.
 *
 * Why a copy and not JetStream sourcing: on nats-server 2.9.10 a source of an object store
 * stream stalls for good on its rollup headers (measured: 2 of 4,800 messages never arrive,
 * the source stays "active" with a lag). Events and receipts carry no rollup headers and are
 * sourced.
 */
export class EvidenceGate {
  readonly #nc: NatsConnection;
  readonly #hub: ObjectStore;
  readonly #sites: ReadonlySet<string>;
  readonly #siteStores = new Map<string, Promise<SiteStore>>();
  /** Why the last copy from a site failed, for the log. */
  #lastFailure = '';
  /** Sites whose last read failed, until when no new read is tried (a batch waits once, not once per object). */
  readonly #unreachableUntilMs = new Map<string, number>();
  /** Copies running now, and the ones waiting for a turn: a batch never opens hundreds at once. */
  #copying = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(nc: NatsConnection, hub: ObjectStore, sites: readonly string[]) {
    this.#nc = nc;
    this.#hub = hub;
    this.#sites = new Set(sites);
  }

  #siteStore(siteId: string): Promise<SiteStore> {
    let site = this.#siteStores.get(siteId);
    if (!site) {
      const options = { domain: siteId, timeout: SITE_REQUEST_TIMEOUT_MS };
      site = (async () => ({
        store: await new Objm(jetstream(this.#nc, options)).open(EVIDENCE_BUCKET),
        jsm: await jetstreamManager(this.#nc, { ...options, checkAPI: false }),
      }))();
      site.catch(() => this.#siteStores.delete(siteId));
      this.#siteStores.set(siteId, site);
    }
    return site;
  }

  async #copyFromSite(siteId: string, ref: EvidenceRef): Promise<RefOutcome> {
    if (!this.#sites.has(siteId)) {
      this.#lastFailure = `site ${siteId} is not in transport.sites, and its evidence is not at the hub`;
      return 'missing';
    }
    if (this.#copying >= MAX_CONCURRENT_COPIES) await new Promise<void>((r) => this.#waiting.push(r));
    this.#copying += 1;
    try {
      return await this.#copy(siteId, ref);
    } finally {
      this.#copying -= 1;
      this.#waiting.shift()?.();
    }
  }

  async #copy(siteId: string, ref: EvidenceRef): Promise<RefOutcome> {
    if ((this.#unreachableUntilMs.get(siteId) ?? 0) > Date.now()) return 'missing';
    let bytes: Uint8Array | null;
    try {
      bytes = await readObject(await this.#siteStore(siteId), ref.objectKey);
    } catch (err) {
      // The link is down or the site is busy: the event waits, and so does every other read
      // from this site for a moment. A failed open is tried afresh.
      this.#lastFailure = `cannot read from site ${siteId}: ${errorMessage(err)}`;
      this.#siteStores.delete(siteId);
      this.#unreachableUntilMs.set(siteId, Date.now() + UNREACHABLE_BACKOFF_MS);
      return 'missing';
    }
    if (!bytes) {
      this.#lastFailure = `site ${siteId} does not hold ${ref.objectKey}`;
      return 'missing';
    }
    if (createHash('sha256').update(bytes).digest('hex') !== ref.sha256Hex) return 'mismatch';
    await this.#hub.putBlob({ name: ref.objectKey, description: ref.mediaType }, bytes);
    return 'ok';
  }

  async #ensureOne(siteId: string, ref: EvidenceRef): Promise<RefOutcome> {
    const info = await this.#hub.info(ref.objectKey);
    if (info && !info.deleted) {
      return info.digest === objectStoreDigest(ref.sha256Hex) && info.size === ref.sizeBytes ? 'ok' : 'mismatch';
    }
    return this.#copyFromSite(siteId, ref);
  }

  async ensure(event: InfractionEvent): Promise<EvidenceCheck> {
    if (event.evidence.length === 0) return { ok: true };
    // Whatever hangs below (a request across a link that just dropped), ingest goes on.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<RefOutcome[]>((resolve) => {
      timer = setTimeout(() => {
        this.#lastFailure = `evidence of ${event.eventId} not settled within ${ENSURE_TIMEOUT_MS} ms`;
        resolve(event.evidence.map(() => 'missing'));
      }, ENSURE_TIMEOUT_MS);
    });
    const outcomes = await Promise.race([
      Promise.all(event.evidence.map((ref) => this.#ensureOne(event.siteId, ref))),
      deadline,
    ]).finally(() => clearTimeout(timer));
    const keysWith = (o: RefOutcome): string[] =>
      event.evidence.filter((_, i) => outcomes[i] === o).map((r) => r.objectKey);
    if (outcomes.includes('mismatch')) return { ok: false, kind: 'mismatch', objectKeys: keysWith('mismatch') };
    if (outcomes.includes('missing'))
      return { ok: false, kind: 'missing', objectKeys: keysWith('missing'), why: this.#lastFailure };
    return { ok: true };
  }
}
