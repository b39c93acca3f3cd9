import { createHash } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVIDENCE_BUCKET, objectStoreDigest } from '../../proto/index.js';
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

/** A copy from a site that takes longer is given up and tried on the next delivery. */
const COPY_TIMEOUT_MS = 20_000;

/** An event's evidence not settled by then waits for the next delivery. */
const ENSURE_TIMEOUT_MS = 25_000;

/**
 * Reads a whole object, giving up after `timeoutMs`: a read whose chunks stop arriving (a leaf
 * link that dropped mid-read) must not hold ingest. Resolves null for an object not there.
 */
async function readObject(store: ObjectStore, name: string, timeoutMs: number): Promise<Uint8Array | null> {
  const result = await store.get(name);
  if (!result) return null;
  const reader = result.data.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void reader.cancel();
  }, timeoutMs);
  try {
    const parts: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    if (timedOut) throw new Error(`the read stalled for ${timeoutMs} ms`);
    const failure = await result.error; // the digest check, once the last chunk is in
    if (failure) throw failure;
    const bytes = Buffer.concat(parts);
    if (bytes.length !== result.info.size) throw new Error(`read ${bytes.length} of ${result.info.size} bytes`);
    return bytes;
  } finally {
    clearTimeout(timer);
  }
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
  readonly #siteStores = new Map<string, Promise<ObjectStore>>();
  /** Why the last copy from a site failed, for the log. */
  #lastFailure = '';
  /** Copies running now, and the ones waiting for a turn: a batch never opens hundreds at once. */
  #copying = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(nc: NatsConnection, hub: ObjectStore, sites: readonly string[]) {
    this.#nc = nc;
    this.#hub = hub;
    this.#sites = new Set(sites);
  }

  #siteStore(siteId: string): Promise<ObjectStore> {
    let store = this.#siteStores.get(siteId);
    if (!store) {
      store = new Objm(jetstream(this.#nc, { domain: siteId, timeout: 10_000 })).open(EVIDENCE_BUCKET);
      store.catch(() => this.#siteStores.delete(siteId));
      this.#siteStores.set(siteId, store);
    }
    return store;
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
    let bytes: Uint8Array | null;
    try {
      bytes = await readObject(await this.#siteStore(siteId), ref.objectKey, COPY_TIMEOUT_MS);
    } catch (err) {
      // The link is down or the site is busy: the event waits. A failed open is tried afresh.
      this.#lastFailure = `cannot read from site ${siteId}: ${errorMessage(err)}`;
      this.#siteStores.delete(siteId);
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
