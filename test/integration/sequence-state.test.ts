import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../core/index.js';
import type { Database, Queryable } from '../../core/index.js';
import { insertEvents } from '../../core/events/events-repo.js';
import { sequenceGaps } from '../../core/events/sequence-state.js';
import type { InfractionEvent } from '../../proto/index.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import { migrateBefore } from '../harness/migrate-before.js';

interface Reference {
  readonly deviceId: string;
  readonly cameraId: string;
  readonly highestSeq: number;
  readonly storedCount: number;
  readonly gaps: { firstMissing: number; lastMissing: number }[];
}

/** ListSequenceGaps before the kept state (a window function over every event): the reference. */
async function referenceGaps(db: Queryable): Promise<Reference[]> {
  const { rows: cameras } = await db.query<{ device_id: string; camera_id: string; highest: string; n: string }>(
    `SELECT device_id, camera_id, max(camera_seq) AS highest, count(*) AS n FROM events
     GROUP BY device_id, camera_id ORDER BY device_id, camera_id`,
  );
  const { rows: gaps } = await db.query<{
    device_id: string;
    camera_id: string;
    first_missing: string;
    last_missing: string;
  }>(
    `SELECT device_id, camera_id, coalesce(prev_seq, 0) + 1 AS first_missing, camera_seq - 1 AS last_missing
     FROM (SELECT device_id, camera_id, camera_seq,
             lag(camera_seq) OVER (PARTITION BY device_id, camera_id ORDER BY camera_seq) AS prev_seq
           FROM events) s
     WHERE camera_seq > coalesce(prev_seq, 0) + 1
     ORDER BY device_id, camera_id, camera_seq`,
  );
  return cameras.map((c) => ({
    deviceId: c.device_id,
    cameraId: c.camera_id,
    highestSeq: Number(c.highest),
    storedCount: Number(c.n),
    gaps: gaps
      .filter((g) => g.device_id === c.device_id && g.camera_id === c.camera_id)
      .map((g) => ({ firstMissing: Number(g.first_missing), lastMissing: Number(g.last_missing) })),
  }));
}

async function freshDatabase(): Promise<Database & AsyncDisposable> {
  const target = await createTestDatabase();
  const db = await openTestDatabase(target);
  await migrate(db);
  return Object.assign(db, {
    [Symbol.asyncDispose]: async () => {
      await db.close();
      await target[Symbol.asyncDispose]();
    },
  });
}

const key = testDeviceKey().privateKey;

/**
 * Random arrivals: per camera a random set of sequence numbers, in a random order, some sent
 * twice (a redelivery, in the same batch or a later one), cut into random batches.
 */
const arrivals = fc
  .record({
    cameras: fc.array(fc.uniqueArray(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 40 }), {
      minLength: 1,
      maxLength: 3,
    }),
    resent: fc.array(fc.nat(), { maxLength: 10 }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
  })
  .chain((a) => {
    const n = a.cameras.reduce((sum, seqs) => sum + seqs.length, 0);
    return fc.record({
      a: fc.constant(a),
      order: fc.shuffledSubarray([...Array(n + a.resent.length).keys()], { minLength: n + a.resent.length }),
    });
  });

let run = 0;

function batchesOf(a: { cameras: number[][]; resent: number[]; cuts: number[] }, order: number[]): InfractionEvent[][] {
  run += 1;
  const events = a.cameras.flatMap((seqs, c) =>
    seqs.map((cameraSeq) => makeEvent(key, { cameraId: `cam-${run}-${c}`, cameraSeq })),
  );
  const all = [...events, ...a.resent.map((i) => events[i % events.length]!)];
  const ordered = order.map((i) => all[i]!);
  const cuts = [...new Set(a.cuts.map((c) => c % (ordered.length + 1)))].sort((x, y) => x - y);
  const batches: InfractionEvent[][] = [];
  let from = 0;
  for (const cut of [...cuts, ordered.length]) {
    if (cut > from) batches.push(ordered.slice(from, cut));
    from = Math.max(from, cut);
  }
  return batches;
}

async function store(db: Database, batch: readonly InfractionEvent[], streamSeq: { next: number }): Promise<void> {
  await db.transaction((tx) =>
    insertEvents(
      tx,
      batch.map((event) => ({ event, streamSeq: streamSeq.next++ })),
    ),
  );
}

const ofRun = (cameraId: string): boolean => cameraId.startsWith(`cam-${run}-`);

describe('camera sequence state kept at ingest', () => {
  it('equals the window-function query for random arrival orders with duplicates', async () => {
    await using db = await freshDatabase();
    const streamSeq = { next: 1 };
    await fc.assert(
      fc.asyncProperty(arrivals, async ({ a, order }) => {
        for (const batch of batchesOf(a, order)) {
          await store(db, batch, streamSeq);
          const kept = (await sequenceGaps(db, 1_000)).filter((c) => ofRun(c.cameraId));
          const expected = (await referenceGaps(db)).filter((c) => ofRun(c.cameraId));
          expect(kept).toEqual(
            expected.map((c) => ({
              ...c,
              gapCount: c.gaps.length,
              missingCount: c.highestSeq - c.storedCount,
              untrackedThrough: 0,
            })),
          );
        }
      }),
      { numRuns: 30 },
    );
  });

  it('keeps at most the cap of runs per camera, the newest, and lists the newest asked for', async () => {
    await using db = await freshDatabase();
    await db.query(
      'CREATE OR REPLACE FUNCTION sequence_gap_runs_kept() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 3::bigint $$',
    );
    const streamSeq = { next: 1 };
    await fc.assert(
      fc.asyncProperty(arrivals, async ({ a, order }) => {
        for (const batch of batchesOf(a, order)) {
          await store(db, batch, streamSeq);
          const kept = (await sequenceGaps(db, 1_000)).filter((c) => ofRun(c.cameraId));
          const expected = (await referenceGaps(db)).filter((c) => ofRun(c.cameraId));
          expect(kept.map((c) => c.cameraId)).toEqual(expected.map((c) => c.cameraId));
          for (const [i, c] of kept.entries()) {
            const e = expected[i]!;
            const tracked = e.gaps.filter((g) => g.firstMissing > c.untrackedThrough);
            expect(c).toEqual({
              ...e,
              gaps: tracked,
              gapCount: tracked.length,
              missingCount: e.highestSeq - e.storedCount,
              untrackedThrough: c.untrackedThrough,
            });
            expect(c.gapCount).toBeLessThanOrEqual(3);
            // Whole runs are dropped: none straddles the untracked boundary.
            expect(
              e.gaps.filter((g) => g.firstMissing <= c.untrackedThrough && g.lastMissing > c.untrackedThrough),
            ).toEqual([]);
          }
        }
      }),
      { numRuns: 30 },
    );
    // Odd numbers 1..21 in order: runs {2} {4} … {20}; the newest 3 are kept.
    const odd = Array.from({ length: 11 }, (_, i) => makeEvent(key, { cameraId: 'cam-odd', cameraSeq: 2 * i + 1 }));
    await store(db, odd, streamSeq);
    const [cam] = (await sequenceGaps(db, 2)).filter((c) => c.cameraId === 'cam-odd');
    expect(cam).toEqual({
      deviceId: 'dev-1',
      cameraId: 'cam-odd',
      highestSeq: 21,
      storedCount: 11,
      gaps: [
        { firstMissing: 18, lastMissing: 18 },
        { firstMissing: 20, lastMissing: 20 },
      ],
      gapCount: 3,
      missingCount: 10,
      untrackedThrough: 14,
    });
  });

  it('backfills the state from events stored before the migration', async () => {
    const target = await createTestDatabase();
    const db = await openTestDatabase(target);
    try {
      await migrateBefore(db, '0014');
      const seqs = [3, 1, 9, 4, 15, 16, 30];
      await db.query(
        `INSERT INTO events (event_id, device_id, site_id, camera_id, camera_seq, occurred_at, zone_id, zone_version,
           signal_state, ms_since_steady_dont_walk, confidence, evidence_count, stream_seq, payload)
         SELECT gen_random_uuid(), 'dev-1', 'site-1', cam, seq, now(), 'zone-1', 1, 3, 5000, 0.9, 0, seq, '\\x00'::bytea
         FROM unnest($1::text[], $2::bigint[]) AS u (cam, seq)`,
        [
          [...seqs.map(() => 'cam-1'), 'cam-2'],
          [...seqs, 5],
        ],
      );
      await migrate(db);
      const expected = await referenceGaps(db);
      expect(expected[0]!.gaps.length).toBe(4);
      expect(await sequenceGaps(db)).toEqual(
        expected.map((c) => ({
          ...c,
          gapCount: c.gaps.length,
          missingCount: c.highestSeq - c.storedCount,
          untrackedThrough: 0,
        })),
      );
      // And it goes on from there: 2 fills a run, 31 extends the highest.
      await store(db, [makeEvent(key, { cameraSeq: 2 }), makeEvent(key, { cameraSeq: 31 })], { next: 100 });
      const [cam1] = await sequenceGaps(db);
      expect(cam1!.gaps).toEqual([
        { firstMissing: 5, lastMissing: 8 },
        { firstMissing: 10, lastMissing: 14 },
        { firstMissing: 17, lastMissing: 29 },
      ]);
      expect(cam1!.storedCount).toBe(9);
    } finally {
      await db.close();
      await target[Symbol.asyncDispose]();
    }
  });
});
