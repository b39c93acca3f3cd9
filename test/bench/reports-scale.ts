/**
 * Measures the transparency report over a year, ListSequenceGaps and retention's look-ups at
 * 10k and 1M events on PostgreSQL (DATABASE_URL), with rows bulk-loaded by generate_series
 * (the triggers keep counters and camera state as for any insert), and prints EXPLAIN ANALYZE
 * of each query. A measurement, not a test:
 *   DATABASE_URL=postgres://… npx tsx test/bench/reports-scale.ts [sizes…]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openDatabase } from '../../core/index.js';
import type { Database, Queryable } from '../../core/index.js';
import { sequenceGaps } from '../../core/events/sequence-state.js';
import { transparencyReport } from '../../core/report/transparency.js';
import { sweepRetention } from '../../core/retention/retention.js';
import type { RetentionDeps } from '../../core/retention/retention.js';

const DAY_MS = 86_400_000;
const CAMERAS = 4;
const CHUNK = 100_000;

async function load(db: Database, events: number): Promise<void> {
  const t0 = performance.now();
  for (let from = 0; from < events; from += CHUNK) {
    const to = Math.min(events, from + CHUNK) - 1;
    // Receive times spread over the last year, oldest first; every 20th number per camera missing.
    await db.query(
      `INSERT INTO events (event_id, device_id, site_id, camera_id, camera_seq, occurred_at, received_at, zone_id,
         zone_version, signal_state, ms_since_steady_dont_walk, confidence, evidence_count, stream_seq, payload)
       SELECT gen_random_uuid(), 'dev-1', 'site-1', 'cam-' || (i % ${CAMERAS}), (i / ${CAMERAS}) + 1 + (i / ${CAMERAS}) / 19,
         t, t, 'zone-1', 1, 3, 5000, 0.9, 1, i, '\\x00'::bytea
       FROM generate_series($1::bigint, $2::bigint) i,
         LATERAL (SELECT now() - (($3::bigint - i)::float8 / $3::bigint) * interval '365 days' AS t) w`,
      [from, to, events],
    );
    await db.query(
      `INSERT INTO reviews (event_id, state, version, event_occurred_at, evidence_pending, updated_at)
       SELECT event_id, CASE WHEN stream_seq >= $3::bigint * 0.99 THEN 'queued' ELSE 'closed' END, 1, occurred_at,
         stream_seq >= $3::bigint * 0.99, received_at + interval '1 hour'
       FROM events WHERE stream_seq BETWEEN $1 AND $2`,
      [from, to, events],
    );
    // One decision per event: three kinds in turn, a day after receipt for every fifth.
    await db.query(
      `INSERT INTO review_decisions (event_id, actor, kind, reason_code, at)
       SELECT event_id, 'ada', (ARRAY['confirm', 'reject', 'approve'])[1 + stream_seq % 3],
         (ARRAY['clear_infraction', 'blurred', 'evidence_supports'])[1 + stream_seq % 3],
         received_at + CASE WHEN stream_seq % 5 = 0 THEN interval '1 day' ELSE interval '1 minute' END
       FROM events WHERE stream_seq BETWEEN $1 AND $2`,
      [from, to],
    );
  }
  // A year of hourly tallies per camera: the same at every size.
  await db.query(
    `INSERT INTO machine_rejections (site_id, camera_id, reason_code, hour_start, count)
     SELECT 'site-1', 'cam-' || c, 'too_short', date_trunc('hour', now()) - h * interval '1 hour', (h % 7)
     FROM generate_series(0, ${CAMERAS - 1}) c, generate_series(0, 365 * 24) h`,
  );
  // As autovacuum would: the counter rows were updated once per loading statement.
  await db.query('VACUUM ANALYZE');
  console.log(`loaded ${events} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * Times each op on every database in turn, round after round (the machine is shared: alternating
 * spreads its noise over all sizes alike), and prints p50 and p99 per database.
 */
async function alternating(
  label: string,
  rounds: number,
  ops: Map<number, () => Promise<unknown>>,
): Promise<Map<number, number>> {
  const times = new Map([...ops.keys()].map((k) => [k, [] as number[]]));
  for (const op of ops.values()) await op();
  for (let i = 0; i < rounds; i++) {
    for (const [size, op] of ops) {
      const t0 = performance.now();
      await op();
      times.get(size)!.push(performance.now() - t0);
    }
  }
  const medians = new Map<number, number>();
  for (const [size, list] of times) {
    list.sort((a, b) => a - b);
    medians.set(size, percentile(list, 0.5));
    console.log(
      `${size} events, ${label}: p50 ${percentile(list, 0.5).toFixed(1)} ms, p99 ${percentile(list, 0.99).toFixed(1)} ms (${rounds} runs)`,
    );
  }
  return medians;
}

/** A Queryable that runs EXPLAIN ANALYZE of each query instead, prints the plan and returns no rows. */
function explaining(db: Queryable, label: string): Queryable & Database {
  return {
    async query(sql: string, params?: readonly unknown[]) {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      console.log(`--- EXPLAIN ANALYZE ${label}\n${plan}\n  reads events: ${/ on events\b/.test(plan) ? 'YES' : 'no'}`);
      return { rows: [], rowCount: 0 };
    },
  } as unknown as Queryable & Database;
}

interface Loaded {
  readonly db: Database;
  close(): Promise<void>;
}

async function loaded(serverUrl: string, events: number): Promise<Loaded> {
  const name = `zebra_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  await migrate(db);
  await load(db, events);
  return {
    db,
    async close() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function explainAll(db: Database, events: number, year: [number, number]): Promise<void> {
  const rows = (await transparencyReport(db, ...year, 'day')).length;
  const gaps = await sequenceGaps(db);
  console.log(
    `${events} events: report rows ${rows}; cameras ${gaps.length}, runs listed ${gaps.reduce((n, c) => n + c.gaps.length, 0)} of ${gaps.reduce((n, c) => n + c.gapCount, 0)}`,
  );
  await transparencyReport(explaining(db, `report by month (${events})`), ...year, 'month');
  await sequenceGaps(explaining(db, `gaps (${events})`));
  const retention = {
    db: explaining(db, `retention (${events})`),
    policy: {
      openReviewMaxAgeMs: 90 * DAY_MS,
      evidenceRetentionMs: 180 * DAY_MS,
      sweepIntervalMs: 3_600_000,
      itemsPerPass: 100,
      passPauseMs: 0,
      maxItemsPerHour: 20_000,
    },
    logger: { info: () => undefined },
  } as unknown as RetentionDeps;
  await sweepRetention(retention, year[1]);
}

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server');
const sizes = process.argv.slice(2).map(Number);
const databases = new Map<number, Loaded>();
try {
  for (const size of sizes.length ? sizes : [10_000, 1_000_000]) databases.set(size, await loaded(serverUrl, size));
  const nowMs = Date.now();
  const year: [number, number] = [nowMs - 365 * DAY_MS, nowMs];
  for (const [size, { db }] of databases) await explainAll(db, size, year);
  const each = (op: (db: Database) => Promise<unknown>) =>
    new Map([...databases].map(([size, { db }]) => [size, () => op(db)]));
  const figures = {
    reportDay: await alternating(
      'report, a year by day',
      31,
      each((db) => transparencyReport(db, ...year, 'day')),
    ),
    reportMonth: await alternating(
      'report, a year by month',
      31,
      each((db) => transparencyReport(db, ...year, 'month')),
    ),
    gaps: await alternating(
      'ListSequenceGaps (sequenceGaps)',
      31,
      each((db) => sequenceGaps(db)),
    ),
  };
  const [small, large] = [Math.min(...databases.keys()), Math.max(...databases.keys())];
  if (small !== large) {
    for (const [key, medians] of Object.entries(figures)) {
      console.log(`ratio ${large}/${small} ${key}: ${(medians.get(large)! / medians.get(small)!).toFixed(2)}`);
    }
  }
} finally {
  for (const loadedDb of databases.values()) await loadedDb.close();
}
