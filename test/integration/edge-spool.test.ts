import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { describe, expect, it } from 'vitest';
import { createEdgeLogger } from '../../edge/index.js';
import { createEdgeMetrics } from '../../edge/metrics.js';
import { outboxLimits } from '../../edge/outbox/index.js';
import { JetStreamPublisher } from '../../edge/publish/publisher.js';
import { SpoolingPublisher } from '../../edge/publish/spooling-publisher.js';
import {
  CandidateTally,
  EDGE_STREAM,
  EVIDENCE_BUCKET,
  EVIDENCE_STREAM,
  HUB_DOMAIN,
  InfractionEvent,
  evidenceObjectKey,
} from '../../proto/index.js';
import type { EvidenceRef } from '../../proto/index.js';
import { TEST_DEVICE, makeEvent, testDeviceKey } from '../harness/events.js';
import { startTestNats, startTestSite } from '../harness/nats.js';
import type { TestNats } from '../harness/nats.js';
import { setupTestSiteOutbox } from '../harness/nats-setup.js';
import { tempDir, waitFor } from '../harness/temp.js';

const SITE = 'site-1';
const EVIDENCE_BYTES = 50_000;
const RETRY = { retryDelayMs: 50, maxRetryDelayMs: 200 };
const logger = createEdgeLogger('silent');

const DEVICE = TEST_DEVICE.deviceId;
const SIZING = {
  promisedOutageHours: 1,
  peakEventsPerHour: 3,
  eventBytes: 32_768,
  evidenceBytesPerEvent: EVIDENCE_BYTES + 5_000,
};

/** The device's publisher on the site leaf node, its outbox with room for about three events' evidence. */
async function sitePublisher(site: TestNats): Promise<JetStreamPublisher> {
  await setupTestSiteOutbox(site, SITE, [DEVICE], SIZING);
  const limits = outboxLimits(SIZING, 1);
  const target = site.client(DEVICE);
  return JetStreamPublisher.connect(
    {
      servers: [target.url],
      user: target.user,
      password: target.password,
      caFile: target.caFile,
      name: 'spool-test',
      maxAttempts: 1,
      retryDelayMs: 10,
      outbox: { siteId: SITE, hubDomain: HUB_DOMAIN, limits, receiptsMaxAgeMs: 86_400_000 },
    },
    logger,
  );
}

/** What the pipeline does for one infraction: evidence first, then the signed event. */
async function publishOne(publisher: SpoolingPublisher, cameraSeq: number): Promise<InfractionEvent> {
  const eventId = randomUUID();
  const bytes = randomBytes(EVIDENCE_BYTES);
  const objectKey = evidenceObjectKey(SITE, 'cam-1', eventId, 'clip.webm');
  await publisher.putEvidence(objectKey, bytes, 'video/webm');
  const ref: Partial<EvidenceRef> = {
    objectKey,
    role: 'clip',
    mediaType: 'video/webm',
    sizeBytes: bytes.length,
    sha256Hex: createHash('sha256').update(bytes).digest('hex'),
  };
  const event = makeEvent(testDeviceKey().privateKey, {
    eventId,
    siteId: SITE,
    cameraSeq,
    evidence: [ref as EvidenceRef],
  });
  await publisher.publishEvent(event);
  return event;
}

/** Camera sequence numbers in the outbox, in stream order, and the SHA-256 of each event's evidence there. */
async function outbox(site: TestNats): Promise<{ seqs: number[]; evidenceMatches: boolean[] }> {
  const nc = await site.connect();
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(EDGE_STREAM);
    const seqs: number[] = [];
    const evidenceMatches: boolean[] = [];
    const evidence = await new Objm(jetstream(nc)).open(EVIDENCE_BUCKET);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const msg = await jsm.streams.getMessage(EDGE_STREAM, { seq });
      if (!msg) continue;
      const event = InfractionEvent.decode(msg.data);
      seqs.push(event.cameraSeq);
      const bytes = await evidence.getBlob(event.evidence[0]!.objectKey);
      evidenceMatches.push(
        !!bytes && createHash('sha256').update(bytes).digest('hex') === event.evidence[0]!.sha256Hex,
      );
    }
    return { seqs, evidenceMatches };
  } finally {
    await nc.close();
  }
}

/** Frees the outbox the way receipts would (here all at once). */
async function emptyOutbox(site: TestNats): Promise<void> {
  const nc = await site.connect();
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.purge(EDGE_STREAM);
    await jsm.streams.purge(EVIDENCE_STREAM);
  } finally {
    await nc.close();
  }
}

describe('the device spool', () => {
  it('keeps events the full outbox refuses on disk and sends them, in order, once there is room', async () => {
    await using hub = await startTestNats();
    await using site = await startTestSite(SITE, hub.leafUrl, undefined, { devices: [DEVICE] });
    await using state = await tempDir();
    const metrics = createEdgeMetrics();
    const spooling = await SpoolingPublisher.open(
      join(state.path, 'spool'),
      await sitePublisher(site),
      logger,
      RETRY,
      metrics,
    );
    try {
      for (let seq = 1; seq <= 6; seq++) await publishOne(spooling, seq);
      // The outbox takes what fits; the rest waits on the device's disk.
      const held = await waitFor('the outbox full', async () => {
        const { seqs } = await outbox(site);
        const left = (await readdir(join(state.path, 'spool', 'ready'))).length;
        return seqs.length > 0 && seqs.length + left === 6 && left > 0 ? seqs : undefined;
      });
      expect(held).toEqual(held.map((_, i) => i + 1));
      const spooled = (await metrics.spooledMessages.get()).values[0]!.value;
      expect(spooled).toBe(6 - held.length);
      await emptyOutbox(site);
      // Once there is room the rest go out, oldest first, evidence intact, and leave the disk.
      const rest = await waitFor('the spool sent', async () => {
        const left = (await readdir(join(state.path, 'spool', 'ready'))).length;
        const now = await outbox(site);
        return left === 0 && now.seqs.length === 6 - held.length ? now : undefined;
      });
      expect(rest.seqs).toEqual(Array.from({ length: 6 - held.length }, (_, i) => held.length + i + 1));
      expect(rest.evidenceMatches.every(Boolean)).toBe(true);
      expect((await metrics.spooledMessages.get()).values[0]!.value).toBe(0);
    } finally {
      await spooling.close();
    }
  });

  it('keeps tallies on disk while the leaf node is down, and sends them when it is back', async () => {
    await using hub = await startTestNats();
    await using site = await startTestSite(SITE, hub.leafUrl, undefined, { devices: [DEVICE] });
    await using state = await tempDir();
    const spooling = await SpoolingPublisher.open(join(state.path, 'spool'), await sitePublisher(site), logger, RETRY);
    try {
      await site.kill();
      const tally = (count: number): CandidateTally => ({
        deviceId: 'dev-1',
        siteId: SITE,
        cameraId: 'cam-1',
        hourStartMs: 1_800_000_000_000,
        counts: [{ reasonCode: 'lawful_walk', count }],
        signature: { algorithm: 'ed25519', keyId: 'k', signature: Buffer.from([1]) },
      });
      await spooling.publishTally(tally(3));
      await spooling.publishTally(tally(5));
      expect(await readdir(join(state.path, 'spool', 'ready'))).toHaveLength(2);
      await site.restart();
      expect(await spooling.drained(30_000)).toBe(true);
      const nc = await site.connect();
      try {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.streams.info(EDGE_STREAM);
        const counts: number[] = [];
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const msg = await jsm.streams.getMessage(EDGE_STREAM, { seq });
          if (msg) counts.push(CandidateTally.decode(msg.data).counts[0]!.count);
        }
        // Both, in the order they were counted: the core keeps the highest.
        expect(counts).toEqual([3, 5]);
      } finally {
        await nc.close();
      }
    } finally {
      await spooling.close();
    }
  });

  it('sends what a stopped run left in the spool, and drops evidence of an event that was never signed', async () => {
    await using hub = await startTestNats();
    await using site = await startTestSite(SITE, hub.leafUrl, undefined, { devices: [DEVICE] });
    await using state = await tempDir();
    const spoolDir = join(state.path, 'spool');
    const first = await SpoolingPublisher.open(spoolDir, await sitePublisher(site), logger, RETRY);
    for (let seq = 1; seq <= 5; seq++) await publishOne(first, seq);
    // Evidence written for an event the device never got to sign.
    await first.putEvidence(evidenceObjectKey(SITE, 'cam-1', randomUUID(), 'entry.jpg'), randomBytes(10), 'image/jpeg');
    await waitFor('the outbox full', async () => ((await outbox(site)).seqs.length > 0 ? true : undefined));
    await first.close(); // the run stops with events still on disk
    const left = (await readdir(join(spoolDir, 'ready'))).length;
    expect(left).toBeGreaterThan(0);
    expect(await readdir(join(spoolDir, 'pending'))).toHaveLength(1);
    const sentBefore = 5 - left;
    await emptyOutbox(site);

    const second = await SpoolingPublisher.open(spoolDir, await sitePublisher(site), logger, RETRY);
    try {
      expect(await readdir(join(spoolDir, 'pending'))).toHaveLength(0);
      expect(await second.drained(20_000)).toBe(true);
      const { seqs, evidenceMatches } = await outbox(site);
      expect(seqs).toEqual(Array.from({ length: left }, (_, i) => sentBefore + i + 1));
      expect(evidenceMatches.every(Boolean)).toBe(true);
    } finally {
      await second.close();
    }
  });
});
