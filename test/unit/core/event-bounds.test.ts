import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_BOUNDS, checkEventBounds, checkTallyHour } from '../../../core/ingest/event-bounds.js';
import { validateTallyMessage } from '../../../core/ingest/tallies.js';
import { validateEventMessage } from '../../../core/ingest/validate.js';
import { when } from '../../../core/console/dom.js';
import { CandidateTally, InfractionEvent } from '../../../proto/index.js';
import { makeEvent, makeTally, subjectOf, testDeviceKey } from '../../harness/events.js';

const { privateKey } = testDeviceKey();
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const MIN = 60_000;
const DAY = 86_400_000;

describe('event bounds at ingest', () => {
  it('accepts an event from now and one held by the spool for a week', () => {
    expect(checkEventBounds(makeEvent(privateKey, { occurredAtMs: NOW }), NOW, DEFAULT_EVENT_BOUNDS)).toBeUndefined();
    expect(
      checkEventBounds(makeEvent(privateKey, { occurredAtMs: NOW - 7 * DAY }), NOW, DEFAULT_EVENT_BOUNDS),
    ).toBeUndefined();
  });

  it('refuses an event more than five minutes ahead of the receive time', () => {
    expect(checkEventBounds(makeEvent(privateKey, { occurredAtMs: 8.7e15 }), NOW, DEFAULT_EVENT_BOUNDS)).toMatch(
      /occurred_at_ms .*future/,
    );
    expect(checkEventBounds(makeEvent(privateKey, { occurredAtMs: NOW + 6 * MIN }), NOW, DEFAULT_EVENT_BOUNDS)).toMatch(
      /future/,
    );
    expect(
      checkEventBounds(makeEvent(privateKey, { occurredAtMs: NOW + 4 * MIN }), NOW, DEFAULT_EVENT_BOUNDS),
    ).toBeUndefined();
  });

  it('refuses an event older than the configured age, and honours a longer one', () => {
    const old = makeEvent(privateKey, { occurredAtMs: NOW - 31 * DAY });
    expect(checkEventBounds(old, NOW, DEFAULT_EVENT_BOUNDS)).toMatch(/occurred_at_ms .*older/);
    expect(checkEventBounds(old, NOW, { ...DEFAULT_EVENT_BOUNDS, maxEventAgeMs: 60 * DAY })).toBeUndefined();
  });

  it('refuses a nested timestamp out of range', () => {
    const event = makeEvent(privateKey, { occurredAtMs: NOW });
    const bad = { ...event, signal: { ...event.signal!, readAtMs: 8.7e15 } };
    expect(checkEventBounds(bad, NOW, DEFAULT_EVENT_BOUNDS)).toMatch(/signal\.readAtMs/);
  });

  it('refuses long strings and NUL bytes in any string field', () => {
    const long = makeEvent(privateKey, { occurredAtMs: NOW, edgeSoftwareVersion: 'v'.repeat(5000) });
    expect(checkEventBounds(long, NOW, DEFAULT_EVENT_BOUNDS)).toMatch(/edgeSoftwareVersion.*longer/);
    const nul = makeEvent(privateKey, { occurredAtMs: NOW, evidenceStatusDetail: 'a\u0000b' });
    expect(checkEventBounds(nul, NOW, DEFAULT_EVENT_BOUNDS)).toMatch(/evidenceStatusDetail.*NUL/);
  });

  it('never throws and flags any occurred_at_ms outside the window', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: false }), (occurredAtMs) => {
        const event = { ...makeEvent(privateKey, { occurredAtMs: NOW }), occurredAtMs };
        const problem = checkEventBounds(event, NOW, DEFAULT_EVENT_BOUNDS);
        const inside =
          Number.isFinite(occurredAtMs) &&
          occurredAtMs <= NOW + DEFAULT_EVENT_BOUNDS.maxFutureSkewMs &&
          occurredAtMs >= NOW - DEFAULT_EVENT_BOUNDS.maxEventAgeMs;
        expect(problem === undefined).toBe(inside);
      }),
    );
  });

  it('quarantines through validation with the out_of_bounds code', () => {
    const event = makeEvent(privateKey, { occurredAtMs: 8.7e15 });
    const result = validateEventMessage(subjectOf(event), InfractionEvent.encode(event).finish(), {
      nowMs: NOW,
      bounds: DEFAULT_EVENT_BOUNDS,
    });
    expect(result).toMatchObject({ ok: false, code: 'out_of_bounds' });
  });
});

describe('tally bounds at ingest', () => {
  it('refuses a tally for an hour far in the future or long past, and takes the current hour', () => {
    const hour = Math.floor(NOW / 3_600_000) * 3_600_000;
    expect(checkTallyHour(hour, NOW, DEFAULT_EVENT_BOUNDS)).toBeUndefined();
    expect(checkTallyHour(hour + 3_600_000 * 1000, NOW, DEFAULT_EVENT_BOUNDS)).toMatch(/future/);
    expect(checkTallyHour(hour - 40 * DAY, NOW, DEFAULT_EVENT_BOUNDS)).toMatch(/older/);
    const tally = makeTally(privateKey, { hourStartMs: hour + 3_600_000 * 1000 });
    const result = validateTallyMessage(
      `zebra.v1.tallies.${tally.siteId}.${tally.deviceId}.${tally.cameraId}`,
      CandidateTally.encode(tally).finish(),
      { nowMs: NOW, bounds: DEFAULT_EVENT_BOUNDS },
    );
    expect(result).toMatchObject({ ok: false, code: 'out_of_bounds' });
  });
});

describe('the console shows any stored time', () => {
  it('renders an impossible date as a placeholder instead of throwing', () => {
    expect(when(8.7e15)).toBe('invalid date');
    expect(when('not a number')).toBe('invalid date');
    expect(when(0)).toBe('—');
    expect(when(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02 03:04:05 UTC');
  });
});
