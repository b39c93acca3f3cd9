/**
 * bench:transport — in one run, on one nats-server and one database:
 *  1. the edge's publisher (JetStreamPublisher.publishEvent: one acknowledged publish at a
 *     time, with retries) against a raw nats.js JetStream publish loop of the same events;
 *  2. the core's ingest (decode, validate, verify the device signature, check the evidence,
 *     store idempotently with the review row and the audit entry, receipt, ack) against a raw
 *     JetStream consume-and-ack loop over the same stream, and two raw batched INSERT loops:
 *     the events alone, and the rows ingest writes for each event (event, review, audit entry).
 *     The issue's target compares with the slower of the consume loop and the events-only
 *     insert; the ratio against the same-rows insert is printed beside it.
 * BENCH_EVENTS (default 2000) events per side. Database: PGlite, or PostgreSQL with DATABASE_URL.
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { CoreConfigSchema, countEvents } from '../../core/index.js';
import { canonicalEntryBytes, entryLeafHash } from '../../core/audit/entry.js';
import type { Queryable } from '../../core/db/database.js';
import { ensureIngestTopology } from '../../core/ingest/consumer.js';
import { createEdgeLogger } from '../../edge/logger.js';
import { JetStreamPublisher } from '../../edge/publish/publisher.js';
import { INFRACTIONS_STREAM, InfractionEvent } from '../../proto/index.js';
import { startTestCore } from '../harness/core.js';
import { createTestDatabase, preRegisterTestDevice } from '../harness/database.js';
import { migratedTestDatabase } from '../harness/stack.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { startTestNats } from '../harness/nats.js';

const N = Number(process.env.BENCH_EVENTS ?? 2000);
/** The core's default ingest batch: the raw loops take as many at a time. */
const BATCH = CoreConfigSchema.parse({
  database: { pgliteDir: '-' },
  nats: { servers: ['-'] },
  audit: { signingKeyFile: '-' },
  auth: { bootstrapTokenFile: '-' },
}).ingest.batchSize;
const INSERT_BATCH = BATCH;
const INGEST = {
  durableName: 'core-ingest',
  batchSize: BATCH,
  ackWaitMs: 30_000,
  retryDelayMs: 2000,
  duplicateWindowMs: 120_000,
};

function events(cameraId: string, count: number): InfractionEvent[] {
  const { privateKey } = testDeviceKey();
  const t = Date.now();
  return Array.from({ length: count }, (_, i) =>
    makeEvent(privateKey, { cameraId, cameraSeq: i + 1, occurredAtMs: t - count + i }),
  );
}

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
}

async function rawConsume(url: string, count: number): Promise<number> {
  const nc = await connect({ servers: url });
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(INFRACTIONS_STREAM, { durable_name: 'bench-raw', ack_policy: AckPolicy.Explicit });
  const consumer = await jetstream(nc).consumers.get(INFRACTIONS_STREAM, 'bench-raw');
  const seconds = await timed(async () => {
    const messages = await consumer.consume({ max_messages: INGEST.batchSize });
    let n = 0;
    for await (const m of messages) {
      InfractionEvent.decode(m.data);
      m.ack();
      if (++n >= count) break;
    }
    await messages.close();
  });
  await nc.close();
  return count / seconds;
}

const EVENT_COLUMNS =
  'event_id, device_id, site_id, camera_id, camera_seq, occurred_at, zone_id, zone_version, signal_state, ms_since_steady_dont_walk, confidence, evidence_count, stream_seq, payload';

/** One multi-row INSERT of events, hand written. */
async function insertEventRows(tx: Queryable, rows: readonly InfractionEvent[], firstIndex: number): Promise<void> {
  const params: unknown[] = [];
  const values = rows.map((e, r) => {
    params.push(
      e.eventId,
      e.deviceId,
      e.siteId,
      e.cameraId,
      e.cameraSeq,
      e.occurredAtMs,
      e.zoneId,
      e.zoneVersion,
      e.signal!.state,
      e.signal!.msSinceSteadyDontWalk,
      e.confidence!.value,
      e.evidence.length,
      firstIndex + r + 1,
      InfractionEvent.encode(e).finish(),
    );
    const p = (k: number): string => `$${r * 14 + k}`;
    return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, to_timestamp(${p(6)}::float8 / 1000), ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, ${p(13)}, ${p(14)})`;
  });
  await tx.query(
    `INSERT INTO events (${EVENT_COLUMNS}) VALUES ${values.join(', ')} ON CONFLICT (event_id) DO NOTHING`,
    params,
  );
}

/** A raw batched insert of the events alone. */
async function rawInsert(batch: readonly InfractionEvent[]): Promise<number> {
  await using db = await migratedTestDatabase();
  const seconds = await timed(async () => {
    for (let i = 0; i < batch.length; i += INSERT_BATCH) {
      await db.transaction((tx) => insertEventRows(tx, batch.slice(i, i + INSERT_BATCH), i));
    }
  });
  return batch.length / seconds;
}

/** The audit entry ingest appends for an event, computed before the clock starts. */
function auditRow(e: InfractionEvent, seq: number): unknown[] {
  const entry = {
    seq,
    atMs: e.occurredAtMs,
    actor: `device:${e.deviceId}`,
    action: 'event.ingested',
    subject: e.eventId,
    details: { siteId: e.siteId, cameraId: e.cameraId, cameraSeq: e.cameraSeq, streamSeq: seq + 1 },
  };
  return [seq, entry.atMs, entry.actor, entry.action, entry.subject, canonicalEntryBytes(entry), entryLeafHash(entry)];
}

/**
 * A raw batched insert of the rows ingest itself writes for each event: the event, its review
 * row and its audit entry (the append under the log's lock), one transaction a batch. Hand
 * written SQL, every value computed before the clock starts.
 */
async function rawInsertIngestRows(batch: readonly InfractionEvent[]): Promise<number> {
  await using db = await migratedTestDatabase();
  const audits = batch.map((e, i) => auditRow(e, i));
  const places = (rows: number, width: number, cast: (k: number) => string = (k) => `$${k}`): string =>
    Array.from(
      { length: rows },
      (_, r) => `(${Array.from({ length: width }, (_, c) => cast(r * width + c + 1)).join(', ')})`,
    ).join(', ');
  const seconds = await timed(async () => {
    for (let i = 0; i < batch.length; i += INSERT_BATCH) {
      const rows = batch.slice(i, i + INSERT_BATCH);
      await db.transaction(async (tx) => {
        await insertEventRows(tx, rows, i);
        await tx.query(
          `INSERT INTO reviews (event_id, state, version) VALUES ${places(rows.length, 3)}`,
          rows.flatMap((e) => [e.eventId, 'queued', 1]),
        );
        await tx.query('SELECT pg_advisory_xact_lock($1)', [0x7a656272]);
        await tx.query('SELECT coalesce(max(seq) + 1, 0) AS next FROM audit_log');
        await tx.query(
          `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash) VALUES ${rows
            .map((_, r) => {
              const p = (k: number): string => `$${r * 7 + k}`;
              return `(${p(1)}, to_timestamp(${p(2)}::float8 / 1000), ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)})`;
            })
            .join(', ')}`,
          audits.slice(i, i + rows.length).flat(),
        );
      });
    }
  });
  return batch.length / seconds;
}

async function main(): Promise<void> {
  await using nats = await startTestNats();
  const nc = await connect({ servers: nats.url });
  await ensureIngestTopology(nc, INGEST);
  const js = jetstream(nc);
  const logger = createEdgeLogger('warn', process.stderr);
  const publisher = await JetStreamPublisher.connect(
    { servers: [nats.url], name: 'bench', maxAttempts: 8, retryDelayMs: 250 },
    logger,
  );
  process.stderr.write(`publishing ${N} events through the edge publisher and ${N} through a raw loop...\n`);
  const edgeEvents = events('cam-edge', N);
  const rawEvents = events('cam-raw', N);
  const edgeSeconds = await timed(async () => {
    for (const e of edgeEvents) await publisher.publishEvent(e);
  });
  const rawSeconds = await timed(async () => {
    for (const e of rawEvents) await js.publish(subjectOf(e), InfractionEvent.encode(e).finish(), { msgID: e.eventId });
  });
  await publisher.close();
  const total = 2 * N;
  process.stderr.write(`raw consume of ${total} messages...\n`);
  const consumeRate = await rawConsume(nats.url, total);
  process.stderr.write(`raw batched insert of ${total} rows (${INSERT_BATCH} a statement)...\n`);
  const insertRate = await rawInsert([...edgeEvents, ...rawEvents]);
  process.stderr.write(`raw batched insert of the rows ingest writes for ${total} events...\n`);
  const ingestRowsRate = await rawInsertIngestRows([...edgeEvents, ...rawEvents]);
  process.stderr.write(`core ingest of the ${total} queued events...\n`);
  await using database = await createTestDatabase();
  // Registered before the core starts, so no event waits in quarantine for its device.
  await preRegisterTestDevice(database);
  await using core = await startTestCore(nats.url, database, { logLevel: 'warn' });
  let firstAt = 0;
  let firstCount = 0;
  let count = 0;
  const deadline = Date.now() + 600_000;
  while (count < total && Date.now() < deadline) {
    count = await countEvents(core.core.db);
    if (count > 0 && firstAt === 0) [firstAt, firstCount] = [performance.now(), count];
    await new Promise((r) => setTimeout(r, 50));
  }
  const quarantined = core.logs.lines.filter((l) => l.msg === 'message quarantined').length;
  if (quarantined > 0)
    process.stderr.write(`warning: ${quarantined} messages were quarantined; the figure is not comparable\n`);
  const ingestRate = (count - firstCount) / ((performance.now() - firstAt) / 1000);
  await nc.close();
  const ratio = ingestRate / Math.min(consumeRate, ingestRowsRate);
  const eventsOnlyRatio = ingestRate / Math.min(consumeRate, insertRate);
  const row = (label: string, rate: number, note = ''): string =>
    `${label.padEnd(52)} ${rate.toFixed(0).padStart(7)} events/s ${note}`;
  process.stdout.write(
    [
      `bench:transport, ${N} events per publisher, ${total} ingested, database ${database.kind}, batches of ${BATCH}`,
      row('raw nats.js JetStream publish (acked)', N / rawSeconds),
      row('edge publisher', N / edgeSeconds, `ratio ${(rawSeconds / edgeSeconds).toFixed(2)}`),
      row('raw JetStream consume + ack', consumeRate),
      row('raw batched insert: events only', insertRate),
      row('raw batched insert: event + review + audit entry', ingestRowsRate),
      row(
        'core ingest',
        ingestRate,
        `ratio ${eventsOnlyRatio.toFixed(2)} of the slower of consume and the events-only insert (target >= 0.50): ${eventsOnlyRatio >= 0.5 ? 'met' : 'NOT met'}`,
      ),
      row(
        '',
        ingestRate,
        `ratio ${ratio.toFixed(2)} of the slower of consume and the insert of the same rows (>= 0.50: ${ratio >= 0.5 ? 'yes' : 'no'})`,
      ),
      count < total ? `only ${count} of ${total} events were stored within the time limit` : '',
      '',
    ].join('\n'),
  );
}

await main();
