import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../core/index.js';
import type { Database, Queryable } from '../../core/index.js';
import { insertEvents } from '../../core/events/events-repo.js';
import { storeTally } from '../../core/ingest/tallies.js';
import { reportDays, transparencyReport } from '../../core/report/transparency.js';
import type { PeriodUnit, TransparencyCount } from '../../core/report/transparency.js';
import { CandidateTally } from '../../proto/index.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import { migrateBefore } from '../harness/migrate-before.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** 2026-01-27 to 2026-03-04 UTC: crosses the end of January and of February. */
const WINDOW_START_MS = Date.UTC(2026, 0, 27);
const WINDOW_DAYS = 36;
const CAMERAS = ['cam-a', 'cam-b', 'cam-c'];
const KINDS = ['confirm', 'reject', 'approve', 'deny', 'appeal', 'uphold_appeal', 'deny_appeal', 'expire'];
const REASONS = ['', 'blurred', 'not_on_crossing', 'signal_unclear'];

/** The report's query before counters (scans events, review_decisions and machine_rejections): the reference. */
async function referenceReport(
  db: Queryable,
  sinceMs: number,
  untilMs: number,
  unit: PeriodUnit,
): Promise<TransparencyCount[]> {
  const STAGE_OF_DECISION = `CASE d.kind WHEN 'confirm' THEN 'confirmed' WHEN 'reject' THEN 'rejected'
  WHEN 'approve' THEN 'approved' WHEN 'deny' THEN 'denied_at_second_review' WHEN 'appeal' THEN 'appealed'
  WHEN 'uphold_appeal' THEN 'appeal_upheld' WHEN 'deny_appeal' THEN 'appeal_denied' ELSE 'expired' END`;
  const bucket = (column: string): string =>
    `(extract(epoch FROM date_trunc('${unit}', ${column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') * 1000)::float8`;
  const { rows } = await db.query<{
    period_ms: number;
    camera_id: string;
    stage: string;
    reason_code: string;
    n: string | number;
  }>(
    `WITH span AS (SELECT to_timestamp($1::float8 / 1000) AS since, to_timestamp($2::float8 / 1000) AS until)
     SELECT ${bucket('e.received_at')} AS period_ms, e.camera_id, 'received' AS stage, '' AS reason_code, count(*) AS n
       FROM events e, span WHERE e.received_at >= span.since AND e.received_at < span.until GROUP BY 1, 2
     UNION ALL
     SELECT ${bucket('d.at')}, e.camera_id, ${STAGE_OF_DECISION}, d.reason_code, count(*)
       FROM review_decisions d JOIN events e ON e.event_id = d.event_id, span
       WHERE d.at >= span.since AND d.at < span.until GROUP BY 1, 2, 3, 4
     UNION ALL
     SELECT ${bucket('m.hour_start')}, m.camera_id, 'machine_rejected', m.reason_code, sum(m.count)
       FROM machine_rejections m, span WHERE m.hour_start >= span.since AND m.hour_start < span.until GROUP BY 1, 2, 4
     ORDER BY 1, 2, 3, 4`,
    [sinceMs, untilMs],
  );
  return rows.map((r) => ({
    periodStartMs: Math.round(Number(r.period_ms)),
    cameraId: r.camera_id,
    stage: r.stage,
    reasonCode: r.reason_code,
    count: Number(r.n),
  }));
}

let nextSeq = 1;

/** Events stored with the given receive times, in one statement (the triggers see a batch). */
async function insertReceived(
  db: Queryable,
  items: readonly { cameraId: string; receivedAtMs: number }[],
): Promise<string[]> {
  const ids = items.map(() => randomUUID());
  await db.query(
    `INSERT INTO events (event_id, device_id, site_id, camera_id, camera_seq, occurred_at, received_at, zone_id,
       zone_version, signal_state, ms_since_steady_dont_walk, confidence, evidence_count, stream_seq, payload)
     SELECT id, 'dev-r', 'site-1', cam, seq, to_timestamp(at_ms / 1000), to_timestamp(at_ms / 1000), 'zone-1',
       1, 3, 5000, 0.9, 0, seq, '\\x00'::bytea
     FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::float8[]) AS u (id, cam, seq, at_ms)`,
    [ids, items.map((i) => i.cameraId), items.map(() => nextSeq++), items.map((i) => i.receivedAtMs)],
  );
  return ids;
}

async function insertDecisions(
  db: Queryable,
  items: readonly { eventId: string; kind: string; reasonCode: string; atMs: number }[],
): Promise<void> {
  await db.query(
    `INSERT INTO review_decisions (event_id, actor, kind, reason_code, at)
     SELECT id, 'ada', kind, reason, to_timestamp(at_ms / 1000)
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[]) AS u (id, kind, reason, at_ms)`,
    [items.map((i) => i.eventId), items.map((i) => i.kind), items.map((i) => i.reasonCode), items.map((i) => i.atMs)],
  );
}

const atMs = fc.integer({ min: 0, max: WINDOW_DAYS * DAY_MS - 1 }).map((ms) => WINDOW_START_MS + ms);
const step = fc.record({
  events: fc.array(fc.record({ cameraId: fc.constantFrom(...CAMERAS), receivedAtMs: atMs }), { maxLength: 25 }),
  decisions: fc.array(
    fc.record({
      eventIndex: fc.nat(),
      kind: fc.constantFrom(...KINDS),
      reasonCode: fc.constantFrom(...REASONS),
      atMs,
    }),
    { maxLength: 25 },
  ),
  tallies: fc.array(
    fc.record({
      cameraId: fc.constantFrom(...CAMERAS),
      hour: fc.integer({ min: 0, max: WINDOW_DAYS * 24 - 1 }),
      reasonCode: fc.constantFrom('too_short', 'left_zone', 'low_confidence'),
      count: fc.nat({ max: 40 }),
    }),
    { maxLength: 8 },
  ),
  periods: fc.array(
    fc.record({
      sinceMs: fc.integer({ min: -3 * DAY_MS, max: (WINDOW_DAYS + 1) * DAY_MS }).map((ms) => WINDOW_START_MS + ms),
      lengthMs: fc.integer({ min: 1, max: 40 * DAY_MS }),
      unit: fc.constantFrom<PeriodUnit>('day', 'month'),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

async function expectSameAsReference(db: Queryable, sinceMs: number, untilMs: number, unit: PeriodUnit): Promise<void> {
  const { fromMs, toMs } = reportDays(sinceMs, untilMs);
  expect(await transparencyReport(db, sinceMs, untilMs, unit)).toEqual(await referenceReport(db, fromMs, toMs, unit));
}

async function freshDatabase(): Promise<{ db: Database; dispose: () => Promise<void> }> {
  const target = await createTestDatabase();
  const db = await openTestDatabase(target);
  await migrate(db);
  return {
    db,
    dispose: async () => {
      await db.close();
      await target[Symbol.asyncDispose]();
    },
  };
}

describe('the transparency report from counters', () => {
  it('equals the scanning query for random events, decisions and tallies, over any whole days', async () => {
    const { db, dispose } = await freshDatabase();
    try {
      const stored: string[] = [];
      let streamSeq = 1;
      await fc.assert(
        fc.asyncProperty(step, async ({ events, decisions, tallies, periods }) => {
          stored.push(...(await insertReceived(db, events)));
          if (stored.length > 0 && decisions.length > 0) {
            // Decisions on events of any day, often another than their own.
            await insertDecisions(
              db,
              decisions.map((d) => ({ ...d, eventId: stored[d.eventIndex % stored.length]! })),
            );
          }
          for (const t of tallies) {
            const tally = CandidateTally.fromPartial({
              deviceId: 'dev-r',
              siteId: 'site-1',
              cameraId: t.cameraId,
              hourStartMs: WINDOW_START_MS + t.hour * HOUR_MS,
              counts: [{ reasonCode: t.reasonCode, count: t.count }],
            });
            // An upsert: a larger count replaces the hour's count, a smaller one changes nothing.
            await db.transaction((tx) => storeTally(tx, tally, streamSeq++));
          }
          for (const p of periods) await expectSameAsReference(db, p.sinceMs, p.sinceMs + p.lengthMs, p.unit);
        }),
        { numRuns: 25 },
      );
      // The whole window in both units, and the report is not empty (the comparison compared something).
      await expectSameAsReference(db, WINDOW_START_MS, WINDOW_START_MS + WINDOW_DAYS * DAY_MS, 'month');
      await expectSameAsReference(db, WINDOW_START_MS, WINDOW_START_MS + WINDOW_DAYS * DAY_MS, 'day');
      const all = await transparencyReport(db, WINDOW_START_MS, WINDOW_START_MS + WINDOW_DAYS * DAY_MS, 'month');
      expect(new Set(all.map((r) => r.stage))).toContain('machine_rejected');
      expect(new Set(all.map((r) => r.stage))).toContain('received');
    } finally {
      await dispose();
    }
  });

  it('counts the ingest path, and stays right under concurrent writers', async () => {
    const { db, dispose } = await freshDatabase();
    try {
      const key = testDeviceKey().privateKey;
      // Ingest's own insert (received now), with a redelivered copy in the batch: counted once.
      const first = makeEvent(key, { cameraId: 'cam-a', cameraSeq: 1 });
      await db.transaction((tx) =>
        insertEvents(tx, [
          { event: first, streamSeq: 1 },
          { event: makeEvent(key, { cameraId: 'cam-a', cameraSeq: 2 }), streamSeq: 2 },
          { event: first, streamSeq: 3 },
        ]),
      );
      // Eight writers at once, each committing events and decisions on the same camera and day.
      const dayMs = Date.UTC(2026, 1, 28);
      await Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          db.transaction(async (tx) => {
            for (let i = 0; i < 5; i++) {
              const ids = await insertReceived(tx, [{ cameraId: 'cam-b', receivedAtMs: dayMs + w * 1000 + i }]);
              await insertDecisions(tx, [{ eventId: ids[0]!, kind: 'reject', reasonCode: 'blurred', atMs: dayMs + 5 }]);
            }
          }),
        ),
      );
      const nowMs = Date.now();
      const today = await transparencyReport(db, nowMs - 1, nowMs, 'day');
      expect(today.filter((r) => r.cameraId === 'cam-a')).toEqual([
        {
          periodStartMs: Math.floor(nowMs / DAY_MS) * DAY_MS,
          cameraId: 'cam-a',
          stage: 'received',
          reasonCode: '',
          count: 2,
        },
      ]);
      expect(await transparencyReport(db, dayMs, dayMs + DAY_MS, 'day')).toEqual([
        { periodStartMs: dayMs, cameraId: 'cam-b', stage: 'received', reasonCode: '', count: 40 },
        { periodStartMs: dayMs, cameraId: 'cam-b', stage: 'rejected', reasonCode: 'blurred', count: 40 },
      ]);
      await expectSameAsReference(db, dayMs - 40 * DAY_MS, nowMs + DAY_MS, 'month');
      // A report of more rows than allowed is refused, naming the way out.
      await expect(transparencyReport(db, dayMs - 40 * DAY_MS, nowMs + DAY_MS, 'day', 2)).rejects.toThrow(
        /more than 2 rows: ask for months/,
      );
      expect(await transparencyReport(db, dayMs - 40 * DAY_MS, nowMs + DAY_MS, 'day', 3)).toHaveLength(3);
    } finally {
      await dispose();
    }
  });

  it('refuses to delete or move counted rows', async () => {
    const { db, dispose } = await freshDatabase();
    try {
      const [id] = await insertReceived(db, [{ cameraId: 'cam-a', receivedAtMs: WINDOW_START_MS }]);
      await expect(db.query('DELETE FROM events')).rejects.toThrow(/refused/);
      await expect(db.query(`UPDATE events SET camera_id = 'cam-b' WHERE event_id = $1`, [id])).rejects.toThrow(
        /refused/,
      );
      await insertDecisions(db, [{ eventId: id!, kind: 'confirm', reasonCode: '', atMs: WINDOW_START_MS }]);
      await expect(db.query(`UPDATE review_decisions SET kind = 'reject'`)).rejects.toThrow(/refused/);
      // Columns that are not counted may still change.
      await db.query('UPDATE events SET zone_version = 2 WHERE event_id = $1', [id]);
    } finally {
      await dispose();
    }
  });

  it('backfills the counters from rows stored before the migration', async () => {
    const target = await createTestDatabase();
    const db = await openTestDatabase(target);
    try {
      await migrateBefore(db, '0013');
      const ids = await insertReceived(
        db,
        Array.from({ length: 30 }, (_, i) => ({
          cameraId: CAMERAS[i % 3]!,
          receivedAtMs: WINDOW_START_MS + i * 29 * HOUR_MS,
        })),
      );
      await insertDecisions(
        db,
        ids.map((eventId, i) => ({
          eventId,
          kind: KINDS[i % 8]!,
          reasonCode: REASONS[i % 4]!,
          atMs: WINDOW_START_MS + i * 31 * HOUR_MS,
        })),
      );
      await db.query(
        `INSERT INTO machine_rejections (site_id, camera_id, reason_code, hour_start, count)
         VALUES ('site-1', 'cam-a', 'too_short', to_timestamp($1::float8 / 1000), 7),
                ('site-2', 'cam-a', 'too_short', to_timestamp($1::float8 / 1000), 0)`,
        [WINDOW_START_MS + 30 * DAY_MS],
      );
      await migrate(db);
      for (const unit of ['day', 'month'] as const) {
        await expectSameAsReference(db, WINDOW_START_MS, WINDOW_START_MS + WINDOW_DAYS * DAY_MS, unit);
      }
      const rows = await transparencyReport(db, WINDOW_START_MS, WINDOW_START_MS + WINDOW_DAYS * DAY_MS, 'month');
      expect(rows.reduce((n, r) => n + (r.stage === 'received' ? r.count : 0), 0)).toBe(30);
      expect(rows.filter((r) => r.stage === 'machine_rejected')).toEqual([
        {
          periodStartMs: Date.UTC(2026, 1, 1),
          cameraId: 'cam-a',
          stage: 'machine_rejected',
          reasonCode: 'too_short',
          count: 7,
        },
      ]);
    } finally {
      await db.close();
      await target[Symbol.asyncDispose]();
    }
  });
});
