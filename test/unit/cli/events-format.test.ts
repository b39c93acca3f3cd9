import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEventDetail, formatEventTable } from '../../../cli/events.js';
import { timeWithMs } from '../../../core/index.js';
import { EventSummary, GetEventResponse, ReviewState, SignalState } from '../../../proto/index.js';
import { makeEvent, testDeviceKey } from '../../harness/events.js';

const AT_MS = Date.UTC(2026, 11, 3, 9, 12, 5, 123);
/** Anything that looks like an epoch time in milliseconds. */
const EPOCH_MS = /\b1[6-9]\d{11}\b/;

describe('events list and show for a person', () => {
  it('lists events in a table with local times to the millisecond and states in words', () => {
    const text = formatEventTable([
      EventSummary.fromPartial({
        eventId: '0b6f3f5e-4a51-4c36-9c1d-6a0f6d6b2a11',
        cameraId: 'cam-1',
        cameraSeq: 7,
        occurredAtMs: AT_MS,
        zoneId: 'zone-1',
        signalState: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
        msSinceSteadyDontWalk: 3200,
        confidence: 0.81,
        evidenceCount: 2,
        reviewState: ReviewState.REVIEW_STATE_IN_REVIEW,
      }),
    ]);
    expect(text).toContain(timeWithMs(AT_MS));
    expect(text).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.123 [+-]\d\d:\d\d/);
    expect(text).toContain("steady DON'T WALK");
    expect(text).toContain('in first review');
    expect(text).toContain('3.2 s');
    expect(text).toContain('81 %');
    expect(text).not.toMatch(EPOCH_MS);
    expect(text).not.toMatch(/SIGNAL_STATE|REVIEW_STATE|undefined|NaN/);
  });

  it('shows one event in words, short, with ids and hashes last under Details', () => {
    const event = makeEvent(testDeviceKey().privateKey, { occurredAtMs: AT_MS });
    const response = GetEventResponse.fromPartial({
      event,
      reviewState: ReviewState.REVIEW_STATE_APPROVED,
      receivedAtMs: AT_MS + 900,
      signatureKeyId: 'abcd1234abcd1234',
    });
    const text = formatEventDetail(response);
    expect(text.length).toBeLessThan(3000);
    expect(JSON.stringify(GetEventResponse.toJSON(response), null, 2).length).toBeGreaterThan(text.length);
    expect(text).toContain(`Event on cam-1, ${timeWithMs(AT_MS)}`);
    expect(text).toContain('a schedule file (a timetable, not the controller)');
    expect(text).toContain("entered 5.0 s after steady DON'T WALK began");
    expect(text).toContain('approved');
    expect(text.indexOf(event.eventId)).toBeGreaterThan(text.indexOf('\nDetails\n'));
    expect(text).not.toMatch(EPOCH_MS);
    expect(text).not.toMatch(/SIGNAL_STATE|REVIEW_STATE|undefined|NaN|\[object/);
  });

  it('writes every representable time with milliseconds and a zone, never as a number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(timeWithMs(ms, 'utc')).toBe(new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC'));
        expect(timeWithMs(ms)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d$/);
      }),
    );
    expect(timeWithMs(Number.NaN)).toBe('invalid time');
  });
});
