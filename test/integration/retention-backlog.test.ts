import { Objm } from '@nats-io/obj';
import { describe, expect, it } from 'vitest';
import { migrate, sweepRetention } from '../../core/index.js';
import { insertEvent } from '../../core/events/events-repo.js';
import type { RetentionDeps } from '../../core/retention/retention.js';
import { EVIDENCE_BUCKET, EvidenceRef } from '../../proto/index.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import { ingestEvents } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

describe('retention drains a backlog at the configured rate', () => {
  it('goes on past a full batch within its hourly budget, and takes up the rest on the next sweep', async () => {
    await using stack = await startTestStack();
    const events = await ingestEvents(stack, 23);
    const api = stack.core.core.api;
    const evidence = await new Objm(stack.nc).open(EVIDENCE_BUCKET);
    const deps = (maxItemsPerHour: number): RetentionDeps => ({
      db: api.db,
      evidence,
      metrics: api.metrics,
      logger: api.logger,
      options: { review: { claimLeaseMs: 60_000, minEvidenceViewMs: 0 }, ledger: api.config.ledger },
      policy: {
        openReviewMaxAgeMs: 90 * DAY_MS,
        evidenceRetentionMs: 180 * DAY_MS,
        sweepIntervalMs: HOUR_MS,
        itemsPerPass: 5,
        passPauseMs: 1,
        maxItemsPerHour,
      },
    });
    const sweepAt = Date.now() + 100 * DAY_MS;
    // An hourly sweep with 12 items an hour: three passes (5, 5, 2), then it stops.
    expect(await sweepRetention(deps(12), sweepAt)).toEqual({ expired: 12, purged: 0 });
    // With room, one sweep drains the rest: 11 expiries and 23 purges, in passes of 5.
    expect(await sweepRetention(deps(1_000), sweepAt)).toEqual({ expired: 11, purged: 23 });
    expect(await sweepRetention(deps(1_000), sweepAt)).toEqual({ expired: 0, purged: 0 });
    const { rows } = await api.db.query<{ state: string; pending: boolean; n: string | number }>(
      `SELECT r.state, r.evidence_pending AS pending, count(*) AS n FROM reviews r GROUP BY 1, 2`,
    );
    expect(rows.map((r) => [r.state, r.pending, Number(r.n)])).toEqual([['expired', false, 23]]);
    for (const e of events) expect((await evidence.info(e.evidence[0]!.objectKey))?.deleted ?? true).toBe(true);
  });

  it('a sweep stops between passes when told to', async () => {
    await using stack = await startTestStack();
    await ingestEvents(stack, 7);
    const api = stack.core.core.api;
    const evidence = await new Objm(stack.nc).open(EVIDENCE_BUCKET);
    const stop = new AbortController();
    const deps: RetentionDeps = {
      db: api.db,
      evidence,
      metrics: api.metrics,
      logger: api.logger,
      options: { review: { claimLeaseMs: 60_000, minEvidenceViewMs: 0 }, ledger: api.config.ledger },
      policy: {
        openReviewMaxAgeMs: 90 * DAY_MS,
        evidenceRetentionMs: 180 * DAY_MS,
        sweepIntervalMs: HOUR_MS,
        itemsPerPass: 3,
        passPauseMs: 200,
        maxItemsPerHour: 1_000,
      },
    };
    const sweep = sweepRetention(deps, Date.now() + 100 * DAY_MS, stop.signal);
    // Told to stop during the first pass or the pause after it: no second pass starts.
    setTimeout(() => stop.abort(), 100);
    expect(await sweep).toEqual({ expired: 3, purged: 0 });
  });

  it('a review carries its event capture time and whether evidence is kept, whoever inserts it', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const key = testDeviceKey().privateKey;
    const occurredAtMs = Date.UTC(2026, 4, 1, 12);
    // Ingest's insert sets both; a writer that names neither (as a bulk loader may) gets them from the event.
    const ingested = makeEvent(key, {
      cameraSeq: 1,
      occurredAtMs,
      evidence: [EvidenceRef.fromPartial({ objectKey: 'site-1/cam-1/x/entry.jpg', sha256Hex: '00'.repeat(32) })],
    });
    await insertEvent(db, ingested, 1);
    const loaded = makeEvent(key, { cameraSeq: 2, occurredAtMs: occurredAtMs + 1000 });
    await db.query(
      `INSERT INTO events (event_id, device_id, site_id, camera_id, camera_seq, occurred_at, zone_id, zone_version,
         signal_state, ms_since_steady_dont_walk, confidence, evidence_count, stream_seq, payload)
       VALUES ($1, 'dev-1', 'site-1', 'cam-1', 2, to_timestamp($2::float8 / 1000), 'zone-1', 1, 3, 5000, 0.9, 0, 2, '\\x00')`,
      [loaded.eventId, loaded.occurredAtMs],
    );
    await db.query(`INSERT INTO reviews (event_id, state, version) VALUES ($1, 'queued', 1)`, [loaded.eventId]);
    const { rows } = await db.query<{ event_id: string; at_ms: number; pending: boolean }>(
      `SELECT event_id::text, (extract(epoch FROM event_occurred_at) * 1000)::float8 AS at_ms, evidence_pending AS pending
       FROM reviews ORDER BY event_occurred_at`,
    );
    expect(rows.map((r) => [r.event_id, Math.round(Number(r.at_ms)), r.pending])).toEqual([
      [ingested.eventId, occurredAtMs, true],
      [loaded.eventId, occurredAtMs + 1000, false],
    ]);
  });
});
