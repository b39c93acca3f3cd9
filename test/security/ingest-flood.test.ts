import { createHash, randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Objm } from '@nats-io/obj';
import { getEvent } from '../../core/index.js';
import { loadEntries } from '../../core/audit/audit-repo.js';
import type { QuarantinePlan } from '../../core/ingest/quarantine-budget.js';
import { storeQuarantined } from '../../core/ingest/quarantine-store.js';
import type { QuarantineItem } from '../../core/ingest/quarantine-store.js';
import { EVIDENCE_BUCKET, INFRACTIONS_STREAM, InfractionEvent, evidenceObjectKey } from '../../proto/index.js';
import { keyIdOf, makeEvent, otherDeviceKey, subjectOf, testDeviceKey } from '../harness/events.js';
import { migratedTestDatabase, startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { waitFor } from '../harness/temp.js';
import { testHttps } from '../harness/pki.js';

const JUNK = 5_000;
const DURABLE = 'core-ingest';

const FORGER = otherDeviceKey();
/** Devices the core does not know yet, each with a key of its own. */
const GHOSTS = Array.from({ length: 40 }, (_, i) => ({ deviceId: `ghost-${i}`, key: otherDeviceKey() }));

/** One junk message of three kinds, by index: undecodable bytes, a forged signature, an unknown device. */
function junk(i: number): { subject: string; data: Uint8Array; kind: 'undecodable' | 'forged' | 'unknown' } {
  switch (i % 3) {
    case 0:
      // Random bytes from 16 B to 16 KiB: the cap on kept payloads has something to cap.
      return {
        kind: 'undecodable',
        subject: 'zebra.v1.events.site-1.dev-1.cam-1',
        data: Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), randomBytes(16 + ((i * 7919) % 16_384))]),
      };
    case 1: {
      const forged = makeEvent(FORGER.privateKey, { cameraSeq: 100_000 + i });
      const event = { ...forged, signature: { ...forged.signature!, keyId: keyIdOf(testDeviceKey().publicKey) } };
      return { kind: 'forged', subject: subjectOf(event), data: InfractionEvent.encode(event).finish() };
    }
    default: {
      // Well formed and signed by a device the core does not know (yet): it must be kept whole.
      const ghost = GHOSTS[i % GHOSTS.length]!;
      const event = makeEvent(ghost.key.privateKey, { cameraSeq: i + 1, deviceId: ghost.deviceId });
      return { kind: 'unknown', subject: subjectOf(event), data: InfractionEvent.encode(event).finish() };
    }
  }
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function httpGet(address: string, path: string): Promise<{ status: number; text: string }> {
  const response = await testHttps(`https://${address}${path}`);
  return { status: response.status, text: response.text() };
}

describe('ingest under a flood of junk', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const db = () => stack.core.core.db;
  const consumerInfo = async () => (await jetstreamManager(stack.nc)).consumers.info(INFRACTIONS_STREAM, DURABLE);
  const count = async (sql: string): Promise<number> => Number((await db().query<{ n: string }>(sql)).rows[0]!.n);

  it('stores a valid event published after 5,000 junk messages, and leaves nothing pending', async () => {
    const js = jetstream(stack.nc);
    // A core that has been running: its signature thread is up.
    const first = makeEvent(testDeviceKey().privateKey, { cameraSeq: 1 });
    await js.publish(subjectOf(first), InfractionEvent.encode(first).finish());
    await waitFor('a first event stored', () => getEvent(db(), first.eventId).catch(() => undefined));

    const sent = Array.from({ length: JUNK }, (_, i) => junk(i));
    for (let i = 0; i < sent.length; i += 250) {
      await Promise.all(sent.slice(i, i + 250).map((m) => js.publish(m.subject, m.data)));
    }
    const valid = makeEvent(testDeviceKey().privateKey, { cameraSeq: 2 });
    const publishedAtMs = Date.now();
    await js.publish(subjectOf(valid), InfractionEvent.encode(valid).finish());
    // How fast junk is cleared is a speed figure (it depends on the machine's load), not checked
    // here; that the event behind it is stored, and every message settled once, is.
    await waitFor('the valid event stored', () => getEvent(db(), valid.eventId).catch(() => undefined), 90_000);
    console.info(`valid event stored ${Date.now() - publishedAtMs} ms after its publish, behind ${JUNK} junk`);

    // Every message settled once: nothing waits for an ack, nothing was delivered twice.
    const settled = await waitFor(
      'ack pending back to 0',
      async () => {
        const info = await consumerInfo();
        return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
      },
      20_000,
    );
    expect(settled.num_redelivered).toBe(0);
    expect(settled.delivered.consumer_seq).toBe(JUNK + 2);

    // Each message from a device not registered yet is kept whole, to be released on registration.
    const unknown = sent.filter((m) => m.kind === 'unknown');
    const { rows: kept } = await db().query<{ payload: Uint8Array }>(
      "SELECT payload FROM quarantine WHERE reason_code = 'unknown_device'",
    );
    expect(new Set(kept.map((r) => sha256(r.payload)))).toEqual(new Set(unknown.map((m) => sha256(m.data))));

    // Junk is kept within the budget (120 rows a minute, 4 KiB each; the flood may straddle a
    // minute), and every junk message is either kept or counted.
    const junkCount = sent.length - unknown.length;
    const junkRows = await count("SELECT count(*) AS n FROM quarantine WHERE reason_code <> 'unknown_device'");
    expect(junkRows).toBeGreaterThan(0);
    expect(junkRows).toBeLessThanOrEqual(2 * 120);
    expect(
      await count("SELECT max(octet_length(payload)) AS n FROM quarantine WHERE reason_code <> 'unknown_device'"),
    ).toBe(4_096);
    expect(
      await count(
        "SELECT count(*) AS n FROM quarantine WHERE reason_code = 'undecodable' AND octet_length(payload) < payload_size",
      ),
    ).toBeGreaterThan(0);
    expect(junkRows + (await count('SELECT sum(messages) AS n FROM quarantine_overflow'))).toBe(junkCount);
    // Audit: one entry per kept row; the counted rest is one row (and, once its minute is over,
    // one entry) per minute, source and reason: here one source, two reasons, one or two minutes.
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'message.quarantined'")).toBe(
      kept.length + junkRows,
    );
    expect(await count('SELECT count(*) AS n FROM quarantine_overflow')).toBeLessThanOrEqual(4);
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'messages.counted'")).toBe(
      await count('SELECT count(*) AS n FROM quarantine_overflow WHERE audited_at IS NOT NULL'),
    );

    const health = await httpGet(stack.core.core.httpAddress, '/healthz');
    expect(health.status).toBe(200);

    // Registering one of those devices releases each of its events: none was lost in the flood.
    const ghost = GHOSTS[0]!;
    await stack.core.registerDevice({
      deviceId: ghost.deviceId,
      siteId: 'site-1',
      publicKeyPem: ghost.key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    const ghostSent = unknown.filter((m) => m.subject === `zebra.v1.events.site-1.${ghost.deviceId}.cam-1`).length;
    expect(ghostSent).toBeGreaterThan(0);
    expect(await count(`SELECT count(*) AS n FROM events WHERE device_id = '${ghost.deviceId}'`)).toBe(ghostSent);
  });
});

describe('ingest stalled', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      ingest: { maxAckPending: 4, monitorIntervalMs: 200, stallAfterMs: 1_000 },
      transport: { evidenceRetryMs: 200 },
    });
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const http = () => stack.core.core.httpAddress;
  const stalledMetric = async () => /^zebra_ingest_stalled (\d+)$/m.exec((await httpGet(http(), '/metrics')).text)?.[1];

  it('turns /healthz red and the stalled metric to 1 at the ack-pending limit, and green again once ingest moves', async () => {
    const js = jetstream(stack.nc);
    expect((await httpGet(http(), '/healthz')).status).toBe(200);
    // Four events whose evidence is not at the hub: each waits for it, holding the consumer's
    // four ack-pending places; the event after them is not delivered.
    const waiting = [1, 2, 3, 4].map((cameraSeq) => {
      const base = makeEvent(testDeviceKey().privateKey, { cameraSeq });
      const bytes = Buffer.from(`evidence of ${base.eventId}`);
      const objectKey = evidenceObjectKey(base.siteId, base.cameraId, base.eventId, 'entry.jpg');
      const ref = { objectKey, sha256Hex: sha256(bytes), mediaType: 'image/jpeg', sizeBytes: bytes.length };
      return {
        bytes,
        objectKey,
        event: makeEvent(testDeviceKey().privateKey, {
          ...base,
          evidence: InfractionEvent.fromPartial({ evidence: [ref] }).evidence,
        }),
      };
    });
    for (const w of waiting) await js.publish(subjectOf(w.event), InfractionEvent.encode(w.event).finish());
    const next = makeEvent(testDeviceKey().privateKey, { cameraSeq: 5 });
    await js.publish(subjectOf(next), InfractionEvent.encode(next).finish());

    const red = await waitFor('healthz red', async () => {
      const r = await httpGet(http(), '/healthz');
      return r.status === 200 ? undefined : r;
    });
    expect(red.status).toBe(503);
    expect(JSON.parse(red.text)).toMatchObject({ ok: false, checks: { ingest: expect.stringMatching(/^stalled: /) } });
    expect(await stalledMetric()).toBe('1');
    expect((await httpGet(http(), '/metrics')).text).toMatch(/^zebra_ingest_ack_pending 4$/m);

    // The evidence arrives: the four are stored, the fifth is delivered and stored too.
    const store = await new Objm(stack.nc).open(EVIDENCE_BUCKET);
    for (const w of waiting) await store.putBlob({ name: w.objectKey }, w.bytes);
    await waitFor('the fifth event stored', () => getEvent(stack.core.core.db, next.eventId).catch(() => undefined));
    await waitFor('healthz green', async () => ((await httpGet(http(), '/healthz')).status === 200 ? true : undefined));
    await waitFor('stalled metric 0', async () => ((await stalledMetric()) === '0' ? true : undefined));
  });
});

describe('junk counts in the database', () => {
  const MINUTE = 60_000;
  const item = (streamSeq: number, code: string, plan: QuarantinePlan, curable?: InfractionEvent): QuarantineItem => ({
    streamSeq,
    subject: 'zebra.v1.events.site-1.dev-1.cam-1',
    code,
    reason: 'test',
    payload: Buffer.from(`payload ${streamSeq}`),
    plan,
    curable,
  });
  const counted = { kind: 'count', minuteStartMs: 10 * MINUTE, source: 'zebra.v1.events.site-1.dev-1' } as const;

  it('audits a minute of counts once, after the minute, with the counts and the chained payload hash', async () => {
    await using db = await migratedTestDatabase();
    const store = (items: QuarantineItem[], atMs: number) => db.transaction((tx) => storeQuarantined(tx, items, atMs));
    expect(await store([item(1, 'undecodable', counted), item(2, 'undecodable', counted)], 10 * MINUTE + 5)).toEqual([
      'counted',
      'counted',
    ]);
    expect(await store([item(3, 'undecodable', counted)], 10 * MINUTE + 9)).toEqual(['counted']);
    const kept = { kind: 'row', payload: Buffer.from('payload 4') } as const;
    // Still the same minute: nothing about the counts audited yet; a redelivered row is audited once.
    expect(await store([item(4, 'bad_signature', kept)], 10 * MINUTE + 20)).toEqual(['kept']);
    expect(await store([item(4, 'bad_signature', kept)], 10 * MINUTE + 30)).toEqual(['duplicate']);
    const actions = async () => (await loadEntries(db)).map((e) => e.action);
    expect(await actions()).toEqual(['message.quarantined']);
    // The next minute's first quarantine closes the last one.
    await store([item(5, 'undecodable', { ...counted, minuteStartMs: 11 * MINUTE })], 11 * MINUTE + 1);
    const entries = (await loadEntries(db)).filter((e) => e.action === 'messages.counted');
    const batchHash = (...seqs: number[]) =>
      createHash('sha256')
        .update(seqs.map((n) => sha256(Buffer.from(`payload ${n}`))).join(''))
        .digest();
    const chained = createHash('sha256')
      .update(Buffer.concat([batchHash(1, 2), batchHash(3)]))
      .digest('hex');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      subject: 'stream:1-3',
      details: {
        reasonCode: 'undecodable',
        source: 'zebra.v1.events.site-1.dev-1',
        minuteStartMs: 10 * MINUTE,
        messages: 3,
        payloadBytes: 3 * 'payload 1'.length,
        payloadsSha256: chained,
      },
    });
    const { rows } = await db.query<{ audited: boolean }>(
      'SELECT audited_at IS NOT NULL AS audited FROM quarantine_overflow ORDER BY minute_start',
    );
    expect(rows.map((r) => r.audited)).toEqual([true, false]);
  });
});
