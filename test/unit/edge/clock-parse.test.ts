import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withSystemClock } from '../../../edge/clock/clocked-signal.js';
import {
  STA_UNSYNC,
  parseAdjtimex,
  parseChronyCsv,
  parseChronyText,
  parseTimedatectlShow,
} from '../../../edge/clock/parse.js';
import type { SystemClockStatus } from '../../../edge/clock/parse.js';
import { suspensionReasons } from '../../../edge/rule/enforcement.js';
import type { ClockReading, SignalReading } from '../../../edge/signal/signal.js';

/** Outputs captured from real tools (test/fixtures/clock/README.md says which, and how). */
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, '../../fixtures/clock', name), 'utf8');

describe('chrony tracking output', () => {
  it('reads a synchronised client (captured from chronyd -x against a local server)', () => {
    const csv = parseChronyCsv(fixture('chrony-tracking-synced.csv'), 100);
    expect(csv).toMatchObject({ state: 'synced', source: 'chrony', reference: '127.0.0.1' });
    // CSV "system time" is seconds slow (-0.000002233): the clock is 2.2 µs fast.
    expect(csv.offsetMs).toBeCloseTo(0.002233, 6);
    const text = parseChronyText(fixture('chrony-tracking-synced.txt'), 100);
    expect(text).toMatchObject({ state: 'synced', source: 'chrony', reference: '127.0.0.1' });
    expect(text.offsetMs).toBeCloseTo(0.002233, 6);
    expect(csv.detail).toBe('chrony: synchronised to 127.0.0.1 (stratum 9)');
  });

  it('reads a client that never reached its server as unsynchronised', () => {
    for (const status of [
      parseChronyCsv(fixture('chrony-tracking-unsynced.csv'), 100),
      parseChronyText(fixture('chrony-tracking-unsynced.txt'), 100),
    ])
      expect(status).toMatchObject({ state: 'unsynced', source: 'chrony', detail: 'chrony: Not synchronised' });
  });

  it('counts a local-stratum server (its own reference) as synchronised', () => {
    expect(parseChronyCsv(fixture('chrony-tracking-local-stratum.csv'), 100)).toMatchObject({
      state: 'synced',
      reference: '7F7F0101',
    });
  });

  it('says unknown, with the text, for what chronyc prints without a daemon', () => {
    for (const name of ['chrony-no-daemon.txt', 'chrony-no-daemon-default-socket.txt']) {
      const status = parseChronyCsv(fixture(name), 100);
      expect(status.state).toBe('unknown');
      expect(status.detail).toMatch(/^chrony: unreadable tracking output: .*daemon/);
      expect(parseChronyText(fixture(name), 100).state).toBe('unknown');
    }
  });

  it('property: the verdict follows leap status, reference, stratum and the offset limit', () => {
    const leaps = ['Normal', 'Insert second', 'Delete second', 'Not synchronised'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 16 }),
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.constantFrom(...leaps),
        fc.integer({ min: 1, max: 1000 }),
        (ref, stratum, slowS, leap, maxOffsetMs) => {
          const refId = ref.toString(16).toUpperCase().padStart(8, '0');
          const line = `${refId},10.0.0.1,${stratum},1796290054.5,${slowS.toFixed(9)},0,0,0,0,0,0,0,64.0,${leap}\n`;
          const status = parseChronyCsv(line, maxOffsetMs);
          const offsetMs = -Number(slowS.toFixed(9)) * 1000;
          const synced = leap !== 'Not synchronised' && ref !== 0 && stratum > 0 && Math.abs(offsetMs) <= maxOffsetMs;
          expect(status.state).toBe(synced ? 'synced' : 'unsynced');
          expect(status.offsetMs).toBeCloseTo(offsetMs, 6);
        },
      ),
    );
  });

  it('property: any text gives a verdict, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        for (const status of [
          parseChronyCsv(text, 100),
          parseChronyText(text, 100),
          parseTimedatectlShow(text),
          parseAdjtimex(text),
        ])
          expect(['synced', 'unsynced', 'unknown']).toContain(status.state);
      }),
    );
  });
});

describe('timedatectl show (systemd-timesyncd; format from timedatectl(1), not captured here)', () => {
  it('follows NTPSynchronized, and says whether an NTP service runs', () => {
    expect(parseTimedatectlShow(fixture('timedatectl-show-synced.txt'))).toMatchObject({
      state: 'synced',
      source: 'timedatectl',
    });
    expect(parseTimedatectlShow(fixture('timedatectl-show-unsynced.txt'))).toMatchObject({
      state: 'unsynced',
      detail: 'timedatectl: NTP service active, not synchronised yet',
    });
    expect(parseTimedatectlShow(fixture('timedatectl-show-ntp-off.txt'))).toMatchObject({
      state: 'unsynced',
      detail: 'timedatectl: no NTP service active',
    });
    expect(
      parseTimedatectlShow("System has not been booted with systemd as init system (PID 1). Can't operate.").state,
    ).toBe('unknown');
  });
});

describe('adjtimex -p (the kernel)', () => {
  it('reads STA_UNSYNC from a real capture (this container: status 8256)', () => {
    expect(parseAdjtimex(fixture('adjtimex-unsync.txt'))).toMatchObject({
      state: 'unsynced',
      source: 'adjtimex',
      detail: 'adjtimex: kernel clock not synchronised (status 8256)',
    });
  });

  it('property: synced exactly when STA_UNSYNC is clear and the call did not return TIME_ERROR', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 5 }), (status, returned) => {
        const text = fixture('adjtimex-unsync.txt')
          .replace(/status: \d+/, `status: ${status}`)
          .replace(/return value = \d+/, `return value = ${returned}`);
        const synced = (status & STA_UNSYNC) === 0 && returned !== 5;
        expect(parseAdjtimex(text).state).toBe(synced ? 'synced' : 'unsynced');
      }),
    );
  });
});

describe('the system clock in a decision', () => {
  const controller = (state: ClockReading['state']): ClockReading => ({
    state,
    offsetMs: state === 'unsynced' ? 900 : 20,
    reference: 'controller:ctl-1',
  });
  const system = (state: SystemClockStatus['state']): SystemClockStatus =>
    state === 'unknown'
      ? { state, source: 'none', detail: 'unknown: no time daemon found (chrony: not installed)' }
      : { state, source: 'chrony', detail: `chrony: ${state}` };
  const reading = (clock: ClockReading): SignalReading => ({
    aspect: 'steady_dont_walk',
    aspectBeganAtMs: 0,
    msSinceSteadyDontWalk: 5000,
    source: 'controller_feed',
    sourceId: 'ctl-1',
    readAtMs: 5000,
    isStale: false,
    clock,
  });

  it('property: enforcement goes on only when the system is synced and the controller offset is within the limit', () => {
    const states = ['synced', 'unsynced', 'unknown'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...states), fc.constantFrom(...states), (ctl, sys) => {
        const clock = withSystemClock(controller(ctl), system(sys));
        const reasons = suspensionReasons(reading(clock), false);
        if (sys !== 'synced') {
          expect(clock.state).toBe('unsynced');
          expect(reasons).toContain('clock_unsynced');
        } else expect(clock.state).toBe(ctl);
        if (ctl === 'unsynced') expect(reasons).toContain('clock_unsynced');
        expect(clock.offsetMs).toBe(controller(ctl).offsetMs);
        expect(clock.reference).toBe(`controller:ctl-1; system ${system(sys).detail}`);
      }),
    );
  });
});
