import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEvent } from '../../core/index.js';
import { CandidateTally, INFRACTIONS_STREAM, InfractionEvent } from '../../proto/index.js';
import { TEST_INGEST_DURABLE } from '../harness/nats.js';
import { makeEvent, makeTally, otherDeviceKey, subjectOf, testDeviceKey } from '../harness/events.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { waitFor } from '../harness/temp.js';

const tallySubject = (t: CandidateTally): string => `zebra.v1.tallies.${t.siteId}.${t.deviceId}.${t.cameraId}`;

describe('rejected-candidate tallies and suspended events at ingest', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => stack?.[Symbol.asyncDispose]());

  async function publishTally(tally: CandidateTally, subject = tallySubject(tally)): Promise<number> {
    return (await jetstream(stack.nc).publish(subject, CandidateTally.encode(tally).finish())).seq;
  }

  async function counts(): Promise<Record<string, number>> {
    const { rows } = await stack.core.core.db.query<{ reason_code: string; count: number }>(
      'SELECT reason_code, count FROM machine_rejections ORDER BY reason_code',
    );
    return Object.fromEntries(rows.map((r) => [r.reason_code, Number(r.count)]));
  }

  it('keeps the highest count per hour and reason: redeliveries and late old tallies never double count', async () => {
    const key = testDeviceKey().privateKey;
    const hourStartMs = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    await publishTally(makeTally(key, { hourStartMs, counts: [{ reasonCode: 'lawful_walk', count: 2 }] }));
    await publishTally(
      makeTally(key, {
        hourStartMs,
        counts: [
          { reasonCode: 'lawful_walk', count: 3 },
          { reasonCode: 'suspended_signal_stale', count: 1 },
        ],
      }),
    );
    await publishTally(makeTally(key, { hourStartMs, counts: [{ reasonCode: 'lawful_walk', count: 2 }] }));
    const last = await publishTally(
      makeTally(key, {
        hourStartMs,
        counts: [
          { reasonCode: 'lawful_walk', count: 3 },
          { reasonCode: 'suspended_signal_stale', count: 1 },
        ],
      }),
    );
    await waitFor('tallies consumed', async () => {
      const info = await stack.core.core.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'candidates.tallied'",
      );
      return Number(info.rows[0]!.n) >= 2 ? true : undefined;
    });
    // Every later (no-op) message consumed too (the core's durable acknowledged through the last
    // one), then nothing grew.
    const jsm = await jetstreamManager(stack.nc);
    await waitFor('the last tally acknowledged', async () => {
      const info = await jsm.consumers.info(INFRACTIONS_STREAM, TEST_INGEST_DURABLE);
      return info.ack_floor.stream_seq >= last ? true : undefined;
    });
    expect(await counts()).toEqual({ lawful_walk: 3, suspended_signal_stale: 1 });
  });

  it('quarantines a forged tally and one published on another device subject', async () => {
    const forged = makeTally(otherDeviceKey().privateKey, { counts: [{ reasonCode: 'lawful_flashing', count: 99 }] });
    const seqForged = await publishTally(forged);
    const moved = makeTally(testDeviceKey().privateKey, { counts: [{ reasonCode: 'lawful_flashing', count: 98 }] });
    const seqMoved = await publishTally(moved, 'zebra.v1.tallies.site-1.dev-2.cam-1');
    const reasons = await waitFor('both quarantined', async () => {
      const { rows } = await stack.core.core.db.query<{ stream_seq: string; reason_code: string }>(
        'SELECT stream_seq, reason_code FROM quarantine WHERE stream_seq = ANY($1::bigint[]) ORDER BY stream_seq',
        [[seqForged, seqMoved]],
      );
      return rows.length === 2 ? rows.map((r) => r.reason_code) : undefined;
    });
    expect(reasons).toEqual(['unknown_key', 'subject_mismatch']);
    expect((await counts()).lawful_flashing).toBeUndefined();
  });

  it('holds an event decided while enforcement was suspended out of the review queue, and audits why', async () => {
    const event = makeEvent(testDeviceKey().privateKey, {
      cameraSeq: 41,
      enforcement: { suspended: true, reasonCodes: ['signal_stale'] },
    });
    await jetstream(stack.nc).publish(subjectOf(event), InfractionEvent.encode(event).finish());
    const state = await waitFor('stored', async () => {
      const { rows } = await stack.core.core.db.query<{ state: string }>(
        'SELECT state FROM reviews WHERE event_id = $1',
        [event.eventId],
      );
      return rows[0]?.state;
    });
    expect(state).toBe('received');
    expect((await getEvent(stack.core.core.db, event.eventId)).event.enforcement).toEqual({
      suspended: true,
      reasonCodes: ['signal_stale'],
    });
    const { rows } = await stack.core.core.db.query<{ canonical: Uint8Array }>(
      "SELECT canonical FROM audit_log WHERE action = 'event.ingested' AND subject = $1",
      [event.eventId],
    );
    expect(Buffer.from(rows[0]!.canonical).toString('utf8')).toMatch(/"enforcementSuspended":\["signal_stale"\]/);
  });
});
