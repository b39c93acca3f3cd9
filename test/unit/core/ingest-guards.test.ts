import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeIngest } from '../../../core/ingest/monitor.js';
import { OTHER_SOURCES, QuarantineBudget, isJunk, sourceOf } from '../../../core/ingest/quarantine-budget.js';
import { honoursTermReason } from '../../../core/ingest/server-version.js';

const LIMITS = { stallAfterMs: 60_000, monitorIntervalMs: 5_000 };
const sample = (numPending: number, numAckPending: number, maxAckPending: number, atMs: number) => ({
  info: { numPending, numAckPending, maxAckPending },
  atMs,
});

describe('the ingest stall check', () => {
  it('is ok while messages are settled, however full the consumer', () => {
    const since = { settledAtMs: 99_000, waitingSinceMs: 0, fullSinceMs: undefined };
    expect(judgeIngest(sample(5_000, 999, 1_000, 100_000), since, 100_000, LIMITS)).toEqual({ ok: true });
    // At the limit for long, but settling: throttled, not stalled.
    const full = { settledAtMs: 97_000, waitingSinceMs: 0, fullSinceMs: 0 };
    expect(judgeIngest(sample(5_000, 1_000, 1_000, 100_000), full, 100_000, LIMITS)).toEqual({ ok: true });
    // Nothing to deliver and nothing settled for long: idle, not stalled.
    expect(judgeIngest(sample(0, 3, 1_000, 100_000), { settledAtMs: 0 }, 100_000, LIMITS)).toEqual({ ok: true });
  });

  it('is stalled at the ack-pending limit with nothing settled for an interval there, naming it', () => {
    const since = { settledAtMs: 0, waitingSinceMs: 94_000, fullSinceMs: 94_000 };
    expect(judgeIngest(sample(1, 1_000, 1_000, 100_000), since, 100_000, LIMITS)).toEqual({
      ok: false,
      stalled: true,
      detail: 'stalled: 1000 messages ack pending, the limit; none settled for 100 s',
    });
    // Just at the limit: not yet.
    const now = { ...since, fullSinceMs: 96_000 };
    expect(judgeIngest(sample(1, 1_000, 1_000, 100_000), now, 100_000, LIMITS)).toEqual({ ok: true });
  });

  it('is stalled when messages wait and none was settled for stallAfterMs, not on a burst after a quiet hour', () => {
    const waiting = { settledAtMs: 40_000, waitingSinceMs: 40_000 };
    expect(judgeIngest(sample(7, 0, 1_000, 100_000), waiting, 100_000, LIMITS)).toMatchObject({
      ok: false,
      stalled: true,
      detail: 'stalled: 7 messages waiting; none settled for 60 s',
    });
    expect(judgeIngest(sample(7, 0, 1_000, 100_000), { ...waiting, settledAtMs: 40_001 }, 100_000, LIMITS)).toEqual({
      ok: true,
    });
    const burst = { settledAtMs: -3_600_000, waitingSinceMs: 95_000 };
    expect(judgeIngest(sample(5_000, 256, 1_000, 100_000), burst, 100_000, LIMITS)).toEqual({ ok: true });
  });

  it('is no answer without a recent consumer info', () => {
    expect(judgeIngest(undefined, { settledAtMs: 0 }, 1, LIMITS)).toMatchObject({ ok: false, stalled: false });
    expect(judgeIngest(sample(0, 0, 1_000, 0), { settledAtMs: 0 }, 15_001, LIMITS)).toMatchObject({
      ok: false,
      stalled: false,
    });
  });
});

describe('the quarantine budget', () => {
  const MINUTE = 60_000;

  it('keeps whole every refusal that may be genuine', () => {
    for (const code of ['unknown_device', 'unknown_key', 'site_mismatch', 'evidence_mismatch', 'sequence_conflict'])
      expect(isJunk(code)).toBe(false);
    for (const code of ['undecodable', 'missing_field', 'invalid_field', 'subject_mismatch', 'bad_signature'])
      expect(isJunk(code)).toBe(true);
    const budget = new QuarantineBudget({ junkRowsPerMinute: 0, junkPayloadBytes: 1 });
    const payload = new Uint8Array(10_000);
    expect(budget.plan('zebra.v1.events.s.d.c', 'unknown_device', payload, 0)).toEqual({ kind: 'row', payload });
  });

  it('keeps at most the per-minute rows, capped, counts the rest per source, and starts afresh each minute', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            device: fc.constantFrom('a', 'b', 'c'),
            code: fc.constantFrom('undecodable', 'bad_signature', 'unknown_device'),
            size: fc.nat(300),
            atMs: fc.nat(3 * MINUTE - 1),
          }),
        ),
        fc.nat(10),
        (messages, rowsPerMinute) => {
          const budget = new QuarantineBudget({ junkRowsPerMinute: rowsPerMinute, junkPayloadBytes: 100 });
          const rowsByMinute = new Map<number, number>();
          for (const m of [...messages].sort((x, y) => x.atMs - y.atMs)) {
            const subject = `zebra.v1.events.s.${m.device}.cam-${m.size}`;
            const plan = budget.plan(subject, m.code, new Uint8Array(m.size), m.atMs);
            const minute = Math.floor(m.atMs / MINUTE);
            if (m.code === 'unknown_device') {
              expect(plan).toMatchObject({ kind: 'row' });
              expect(plan.kind === 'row' && plan.payload.length).toBe(m.size);
            } else if (plan.kind === 'row') {
              rowsByMinute.set(minute, (rowsByMinute.get(minute) ?? 0) + 1);
              expect(plan.payload.length).toBe(Math.min(m.size, 100));
            } else {
              expect(rowsByMinute.get(minute) ?? 0).toBe(rowsPerMinute);
              expect(plan).toEqual({
                kind: 'count',
                minuteStartMs: minute * MINUTE,
                source: `zebra.v1.events.s.${m.device}`,
              });
            }
          }
          for (const rows of rowsByMinute.values()) expect(rows).toBeLessThanOrEqual(rowsPerMinute);
        },
      ),
    );
  });

  it('counts sources beyond the per-minute limit together', () => {
    const budget = new QuarantineBudget({ junkRowsPerMinute: 0, junkPayloadBytes: 0, sourcesPerMinute: 2 });
    const source = (device: string) => {
      const plan = budget.plan(`zebra.v1.events.s.${device}.c`, 'undecodable', new Uint8Array(1), 5);
      return plan.kind === 'count' ? plan.source : undefined;
    };
    expect([source('a'), source('b'), source('c'), source('a'), source('d')]).toEqual([
      'zebra.v1.events.s.a',
      'zebra.v1.events.s.b',
      OTHER_SOURCES,
      'zebra.v1.events.s.a',
      OTHER_SOURCES,
    ]);
    expect(sourceOf('junk')).toBe('junk');
  });
});

describe('the server version check', () => {
  it('knows which nats-server versions honour a terminate with a reason', () => {
    expect(honoursTermReason('2.9.10')).toBe(false);
    expect(honoursTermReason('2.10.3')).toBe(false);
    expect(honoursTermReason('2.10.4')).toBe(true);
    expect(honoursTermReason('v2.11.0')).toBe(true);
    expect(honoursTermReason('3.0.0-beta')).toBe(true);
    expect(honoursTermReason('unknown')).toBe(false);
  });
});
