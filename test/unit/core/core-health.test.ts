import { describe, expect, it } from 'vitest';
import { isCheckpointStale, uncoveredAgeMs } from '../../../core/audit/checkpoint-age.js';
import { judgeCoreHealth } from '../../../core/http/health.js';
import type { CoreHealthInputs } from '../../../core/http/health.js';
import { QUEUE_COUNT_CAP } from '../../../core/review/queue-age.js';

const NOW = 1_800_000_000_000;
const LIMITS = {
  checkIntervalMs: 15_000,
  checkpointIntervalMs: 60_000,
  checkpointSlackMs: 60_000,
  reviewQueueMaxAgeMs: 3_600_000,
};
const GREEN: CoreHealthInputs = {
  database: 'ok',
  nats: 'ok',
  ingest: { ok: true },
  sample: {
    atMs: NOW - 1_000,
    lag: { logSize: 10, coveredSize: 10, checkpointAtMs: NOW - 5_000 },
    queue: { items: 3, oldestAtMs: NOW - 60_000 },
  },
};

describe('judgeCoreHealth', () => {
  it('is green with every part ok, and names each', () => {
    expect(judgeCoreHealth(GREEN, LIMITS, NOW)).toEqual({
      ok: true,
      checks: { database: 'ok', nats: 'ok', ingest: 'ok', checkpoint: 'ok', reviewQueue: 'ok: 3 items' },
    });
  });

  it('turns red on each condition alone', () => {
    const sample = GREEN.sample!;
    const reds: [CoreHealthInputs, string, RegExp][] = [
      [{ ...GREEN, database: 'connection refused' }, 'database', /refused/],
      [{ ...GREEN, nats: 'reconnecting' }, 'nats', /reconnecting/],
      [{ ...GREEN, ingest: { ok: false, stalled: true, detail: 'stalled: 5 messages waiting' } }, 'ingest', /^stalled/],
      [
        { ...GREEN, sample: { ...sample, lag: { logSize: 12, coveredSize: 10, oldestUncoveredAtMs: NOW - 120_001 } } },
        'checkpoint',
        /^stale: 2 entries waited 120 s/,
      ],
      [
        { ...GREEN, sample: { ...sample, queue: { items: QUEUE_COUNT_CAP, oldestAtMs: NOW - 3_600_001 } } },
        'reviewQueue',
        /^over SLA: the oldest of 10000\+ items was captured 3600 s ago \(SLA 3600 s\)$/,
      ],
      [{ ...GREEN, sample: { ...sample, atMs: NOW - 45_001 } }, 'checkpoint', /^not read lately/],
      [{ ...GREEN, sample: undefined }, 'reviewQueue', /^not read lately/],
    ];
    for (const [inputs, check, detail] of reds) {
      const h = judgeCoreHealth(inputs, LIMITS, NOW);
      expect(h.ok, check).toBe(false);
      expect(h.checks[check]).toMatch(detail);
    }
  });

  it('a checkpoint is stale only when an uncovered entry waited past interval + slack (a quiet log needs none)', () => {
    const limits = { intervalMs: 60_000, slackMs: 60_000 };
    expect(isCheckpointStale({ logSize: 5, coveredSize: 5, checkpointAtMs: NOW - 86_400_000 }, NOW, limits)).toBe(
      false,
    );
    expect(isCheckpointStale({ logSize: 6, coveredSize: 5, oldestUncoveredAtMs: NOW - 120_000 }, NOW, limits)).toBe(
      false,
    );
    expect(isCheckpointStale({ logSize: 6, coveredSize: 5, oldestUncoveredAtMs: NOW - 120_001 }, NOW, limits)).toBe(
      true,
    );
    expect(uncoveredAgeMs({ logSize: 0, coveredSize: 0 }, NOW)).toBe(0);
  });
});
