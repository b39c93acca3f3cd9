import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import {
  EDGE_STREAM,
  EVIDENCE_BUCKET,
  EVIDENCE_STREAM,
  INFRACTIONS_STREAM,
  InfractionEvent,
  Receipt,
  ReceiptKind,
  ReceiptOutcome,
  RECEIPTS_STREAM,
  receiptSubject,
  signReceiptBatch,
} from '../../proto/index.js';
import { ensureIngestTopology } from '../../core/ingest/consumer.js';
import { startTestCore } from '../harness/core.js';
import { testCoreKey, testCoreSigningKey } from '../harness/core-key.js';
import { otherDeviceKey } from '../harness/events.js';
import { createTestDatabase } from '../harness/database.js';
import { CLEAN, checkDelivery, committedEvents, evidenceMismatches, ingestRecords } from '../harness/delivery.js';
import { startTestNats, startTestSite } from '../harness/nats.js';
import type { TestNats } from '../harness/nats.js';
import { SiteProducer } from '../harness/site-producer.js';
import { startTcpLink } from '../harness/tcp-proxy.js';
import { tempDir, waitFor } from '../harness/temp.js';

const SITE = 'site-1';
const DEVICE = 'dev-out';

/**
 * This file's device, producing on the site leaf node as itself, straight into the outbox: these
 * tests are about the outbox (its messages' sequence numbers, its purges), not the spool before it.
 */
function startProducer(site: TestNats, stateDir: string, evidenceBytes: number): Promise<SiteProducer> {
  const target = site.client(DEVICE);
  return SiteProducer.start({
    site: target,
    siteId: SITE,
    deviceId: DEVICE,
    cameraId: 'cam-1',
    stateDir,
    evidenceBytes,
    spool: false,
  });
}

async function outboxCounts(site: TestNats): Promise<{ events: number; evidence: number }> {
  const nc = await site.connect();
  try {
    const jsm = await jetstreamManager(nc);
    const [events, evidence] = await Promise.all([jsm.streams.info(EDGE_STREAM), jsm.streams.info(EVIDENCE_STREAM)]);
    return { events: events.state.messages, evidence: evidence.state.messages };
  } finally {
    await nc.close();
  }
}

/** The hub as the core sets it up, sourcing the site, with no core consuming. */
async function sourceTheSite(hubNc: NatsConnection): Promise<void> {
  await ensureIngestTopology(hubNc, {
    durableName: 'core-ingest',
    ackWaitMs: 5_000,
    duplicateWindowMs: 1_000,
    sites: [SITE],
  });
}

/** A stored-outcome receipt for each of these outbox messages (events), as the core would send it. */
async function receiptsFor(site: TestNats, outboxSeqs: readonly number[]): Promise<Receipt[]> {
  const nc = await site.connect();
  try {
    const jsm = await jetstreamManager(nc);
    return await Promise.all(
      outboxSeqs.map(async (seq) => {
        const event = InfractionEvent.decode((await jsm.streams.getMessage(EDGE_STREAM, { seq }))!.data);
        return Receipt.fromPartial({
          siteId: SITE,
          deviceId: DEVICE,
          cameraId: event.cameraId,
          kind: ReceiptKind.RECEIPT_KIND_EVENT,
          eventId: event.eventId,
          sequence: event.cameraSeq,
          outcome: ReceiptOutcome.RECEIPT_OUTCOME_STORED,
          committedAtMs: Date.now(),
          sourceSequence: seq,
        });
      }),
    );
  } finally {
    await nc.close();
  }
}

describe('store and forward through a site leaf node', () => {
  it('sources events and evidence to the hub, commits each once, and purges the outbox on receipt', async () => {
    await using hub = await startTestNats();
    await using link = await startTcpLink(Number(new URL(hub.leafUrl).port));
    await using site = await startTestSite(SITE, link.url, undefined, { devices: [DEVICE] });
    await using database = await createTestDatabase();
    await using core = await startTestCore(hub, database, { transport: { sites: [SITE], evidenceRetryMs: 200 } });
    await using state = await tempDir();
    const key = await SiteProducer.deviceKey(state.path);
    await core.registerDevice({ deviceId: DEVICE, siteId: SITE, publicKeyPem: key.publicKeyPem });
    const producer = await startProducer(site, state.path, 60_000);
    try {
      await producer.produce(10);
      const events = await waitFor('all committed', async () => {
        const got = await committedEvents(core.core.db, DEVICE);
        return got.length >= 10 ? got : undefined;
      });
      expect(checkDelivery(producer.produced, await ingestRecords(core.core.db, DEVICE))).toEqual(CLEAN);
      const hubNc = await hub.connect();
      try {
        const hubEvidence = await new Objm(hubNc).open(EVIDENCE_BUCKET);
        expect(await evidenceMismatches(hubEvidence, events)).toEqual([]);
        // The outbox empties once the receipts are back, and the hub keeps its copies.
        await waitFor('outbox purged', async () => {
          const counts = await outboxCounts(site);
          return counts.events === 0 && counts.evidence === 0 ? counts : undefined;
        });
        expect(await evidenceMismatches(hubEvidence, events)).toEqual([]);
        const infractions = await (await jetstreamManager(hubNc)).streams.info(INFRACTIONS_STREAM);
        expect(infractions.state.messages).toBe(10); // sourced once, never also captured over the link
      } finally {
        await hubNc.close();
      }
      expect((await producer.metrics.receiptsApplied.get()).values.reduce((n, v) => n + v.value, 0)).toBe(10);
    } finally {
      await producer.close();
    }
  });

  it('fetches events the hub lost from the site outbox, through FetchMissingEvents', async () => {
    await using hub = await startTestNats();
    await using site = await startTestSite(SITE, hub.leafUrl, undefined, { devices: [DEVICE] });
    await using database = await createTestDatabase();
    await using state = await tempDir();
    const hubNc = await hub.connect();
    const producer = await startProducer(site, state.path, 20_000);
    try {
      await sourceTheSite(hubNc);
      await producer.produce(6);
      const jsm = await jetstreamManager(hubNc);
      await waitFor('sourced to the hub', async () =>
        (await jsm.streams.info(INFRACTIONS_STREAM)).state.messages === 6 ? true : undefined,
      );
      // The hub loses two of them (a crash before fsync, a bad disk): sourcing will not send them again.
      await jsm.streams.deleteMessage(INFRACTIONS_STREAM, 2);
      await jsm.streams.deleteMessage(INFRACTIONS_STREAM, 4);
      await using core = await startTestCore(hub, database, { transport: { sites: [SITE], evidenceRetryMs: 200 } });
      const key = await SiteProducer.deviceKey(state.path);
      await core.registerDevice({ deviceId: DEVICE, siteId: SITE, publicKeyPem: key.publicKeyPem });
      await waitFor('the rest committed', async () =>
        (await committedEvents(core.core.db, DEVICE)).length === 4 ? true : undefined,
      );
      const supervisor = await core.person('sam', ['supervisor']);
      const gaps = await supervisor.call<{
        cameras: { deviceId: string; gaps: { firstMissing: number; lastMissing: number }[] }[];
      }>('/zebra.v1.EventService/ListSequenceGaps', {});
      expect(gaps.cameras.find((c) => c.deviceId === DEVICE)?.gaps).toEqual([
        { firstMissing: 2, lastMissing: 2 },
        { firstMissing: 4, lastMissing: 4 },
      ]);
      const fetched = await supervisor.call<{ siteId: string; found: number[]; notInOutbox: number[] }>(
        '/zebra.v1.EventService/FetchMissingEvents',
        { deviceId: DEVICE, cameraId: 'cam-1' },
      );
      expect(fetched).toEqual({ siteId: SITE, found: [2, 4], notInOutbox: [] });
      const events = await waitFor('all six committed', async () => {
        const got = await committedEvents(core.core.db, DEVICE);
        return got.length === 6 ? got : undefined;
      });
      expect(checkDelivery(producer.produced, await ingestRecords(core.core.db, DEVICE))).toEqual(CLEAN);
      // The refetched ones are receipted and purged like the others; the ones quarantined
      // before the device was registered, then released, kept their evidence at the hub.
      await waitFor('outbox purged', async () => ((await outboxCounts(site)).events === 0 ? true : undefined));
      expect(await evidenceMismatches(await new Objm(hubNc).open(EVIDENCE_BUCKET), events)).toEqual([]);
      const audit = await core.core.db.query<{ action: string }>(
        "SELECT action FROM audit_log WHERE action = 'events.refetched'",
      );
      expect(audit.rows).toHaveLength(1);
    } finally {
      await producer.close();
      await hubNc.close();
    }
  });

  it('purges nothing on a receipt the core did not sign, and the events on one it did', async () => {
    await using hub = await startTestNats();
    await using site = await startTestSite(SITE, hub.leafUrl, undefined, { devices: [DEVICE] });
    await using state = await tempDir();
    const hubNc = await hub.connect();
    const producer = await startProducer(site, state.path, 10_000);
    try {
      await sourceTheSite(hubNc);
      await producer.produce(3);
      const receipts = await receiptsFor(site, [1, 2, 3]);
      const js = jetstream(hubNc);
      const subject = receiptSubject(SITE, DEVICE);
      const forger = otherDeviceKey().privateKey;
      // One claims the core's key id, one names its own; neither is signed by the core.
      await js.publish(subject, signReceiptBatch(receipts, { keyId: testCoreKey().keyId, privateKey: forger }));
      await js.publish(subject, signReceiptBatch(receipts, { keyId: 'forger', privateKey: forger }));
      const refused = async () =>
        (await producer.metrics.receiptsRefused.get()).values.map((v) => [v.labels.reason, v.value]);
      await waitFor('both refused', async () => ((await refused()).length === 2 ? true : undefined));
      expect((await refused()).sort()).toEqual([
        ['bad_signature', 1],
        ['unknown_key', 1],
      ]);
      expect(await outboxCounts(site)).toMatchObject({ events: 3 });
      await js.publish(subject, signReceiptBatch(receipts, testCoreSigningKey()));
      await waitFor('outbox purged', async () => ((await outboxCounts(site)).events === 0 ? true : undefined));
      // The refused ones are settled too, not redelivered forever (nats-server 2.9 ignores a
      // terminate with a reason): the device's receipts consumer holds nothing unacknowledged.
      await waitFor(
        'no receipt ack pending',
        async () => {
          const nc = await site.connect();
          try {
            const info = await (await jetstreamManager(nc)).consumers.info(RECEIPTS_STREAM, `receipts-${DEVICE}`);
            return info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
          } finally {
            await nc.close();
          }
        },
        15_000,
      );
    } finally {
      await producer.close();
      await hubNc.close();
    }
  });
});
