import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aspectOfBits, decodePoll, VarbindType } from '../../../edge/signal/bridge/decode.js';
import type { Varbind } from '../../../edge/signal/bridge/decode.js';
import { MAX_PHASE, columnOid, phaseBit, pollOids } from '../../../edge/signal/bridge/oids.js';
import { INITIAL_TRACKER, trackPoll } from '../../../edge/signal/bridge/tracker.js';
import type { PollOutcome, TrackerState } from '../../../edge/signal/bridge/tracker.js';
import type { SignalAspect } from '../../../edge/signal/signal.js';

const ASPECTS: readonly SignalAspect[] = ['walk', 'flashing_dont_walk', 'steady_dont_walk', 'dark'];

function answer(phase: number, masks: [number, number, number], ticks = 100): Varbind[] {
  const [walks, pedClears, dontWalks] = pollOids(phase).slice(1);
  return [
    { oid: pollOids(phase)[0]!, type: VarbindType.TIME_TICKS, value: ticks },
    { oid: walks!, type: VarbindType.INTEGER, value: masks[0] },
    { oid: pedClears!, type: VarbindType.INTEGER, value: masks[1] },
    { oid: dontWalks!, type: VarbindType.INTEGER, value: masks[2] },
  ];
}

describe('NTCIP 1202 phase status decoding', () => {
  it('puts every phase in its status group and bit (bit 0 of group g is phase 8g-7)', () => {
    for (let phase = 1; phase <= MAX_PHASE; phase++) {
      const { group, bit } = phaseBit(phase);
      expect(group * 8 - 7 + bit).toBe(phase);
      expect(bit).toBeGreaterThanOrEqual(0);
      expect(bit).toBeLessThan(8);
    }
    expect(columnOid(7, 1)).toBe('1.3.6.1.4.1.1206.4.2.1.1.4.1.7.1');
    expect(pollOids(9)).toEqual([
      '1.3.6.1.2.1.1.3.0',
      '1.3.6.1.4.1.1206.4.2.1.1.4.1.7.2',
      '1.3.6.1.4.1.1206.4.2.1.1.4.1.6.2',
      '1.3.6.1.4.1.1206.4.2.1.1.4.1.5.2',
    ]);
    for (const bad of [0, 256, 1.5, -1]) expect(() => phaseBit(bad)).toThrow(RangeError);
  });

  it("reads the phase's own bits only: one set names the aspect, none is dark, two or more conflict", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_PHASE }),
        fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
        (phase, masks) => {
          const { bit } = phaseBit(phase);
          const [walk, pedClear, dontWalk] = masks.map((m) => ((m >> bit) & 1) === 1) as [boolean, boolean, boolean];
          const result = decodePoll(answer(phase, masks), phase);
          const set = [walk, pedClear, dontWalk].filter(Boolean).length;
          if (set > 1) {
            expect(result).toMatchObject({ ok: false, fault: 'conflict' });
            return;
          }
          const expected = walk ? 'walk' : pedClear ? 'flashing_dont_walk' : dontWalk ? 'steady_dont_walk' : 'dark';
          expect(result).toMatchObject({ ok: true, aspect: expected, upTimeTicks: 100 });
          // Other phases' bits never change the answer.
          const own = 1 << bit;
          const flipped = masks.map((m) => (m & own) | (~m & 0xff & ~own)) as [number, number, number];
          expect(decodePoll(answer(phase, flipped), phase)).toMatchObject({ ok: true, aspect: expected });
        },
      ),
    );
    expect(aspectOfBits(true, false, true)).toBe('conflict');
    expect(aspectOfBits(false, true, true)).toBe('conflict');
  });

  it('calls any malformed answer garbage and never throws', () => {
    const varbind = fc.record({
      oid: fc.oneof(fc.constantFrom(...pollOids(3)), fc.string()),
      type: fc.oneof(fc.constantFrom(2, 4, 67, 128, 129, 130), fc.integer()),
      value: fc.anything(),
    });
    fc.assert(
      fc.property(fc.array(varbind, { maxLength: 6 }), (varbinds) => {
        const result = decodePoll(varbinds, 3);
        if (result.ok) {
          // Only a well-formed answer decodes.
          expect(varbinds.map((v) => v.oid)).toEqual(pollOids(3));
          expect(varbinds[0]!.type).toBe(VarbindType.TIME_TICKS);
          for (const v of varbinds.slice(1)) {
            expect(v.type).toBe(VarbindType.INTEGER);
            expect(Number.isInteger(v.value) && (v.value as number) >= 0 && (v.value as number) <= 255).toBe(true);
          }
        } else expect(['garbage', 'conflict']).toContain(result.fault);
      }),
    );
    const good = answer(3, [0, 0, 4]);
    for (const [i, patch] of [
      [1, { value: 256 }],
      [2, { value: -1 }],
      [3, { type: 4, value: Buffer.from('x') }],
      [0, { type: VarbindType.INTEGER }],
      [3, { type: 129, value: null }],
    ] as const) {
      const bad = good.map((v, j) => (j === i ? { ...v, ...patch } : v));
      expect(decodePoll(bad, 3)).toMatchObject({ ok: false, fault: 'garbage' });
    }
    expect(decodePoll(good.slice(0, 3), 3)).toMatchObject({ ok: false, fault: 'garbage' });
  });
});

const OPTIONS = { frozenAfterMs: 300, publishEveryMs: 200 };

/**
 * A controller's true aspect over time. Each lasts longer than the longest gap between polls
 * (150 ms), as every real pedestrian interval does (seconds): a blip shorter than a poll
 * cannot be seen by any poller.
 */
const timelineArb = fc.array(fc.tuple(fc.constantFrom(...ASPECTS), fc.integer({ min: 151, max: 2000 })), {
  minLength: 1,
  maxLength: 20,
});

function trueAspect(
  timeline: readonly [SignalAspect, number][],
  atMs: number,
): { aspect: SignalAspect; beganAtMs: number } {
  let start = 0;
  let current = { aspect: timeline[0]![0], beganAtMs: 0 };
  for (const [aspect, durationMs] of timeline) {
    if (atMs < start) break;
    if (aspect !== current.aspect) current = { aspect, beganAtMs: start };
    start += durationMs;
  }
  return current;
}

describe('signal bridge transitions', () => {
  it('a state begins when a poll first sees it: never before the controller changed, never after that poll', () => {
    fc.assert(
      fc.property(
        timelineArb,
        fc.array(fc.integer({ min: 20, max: 150 }), { minLength: 5, maxLength: 200 }),
        (timeline, gaps) => {
          let state: TrackerState = INITIAL_TRACKER;
          let atMs = 0;
          let ticks = 0;
          let lastPublishedAtMs = -Infinity;
          for (const gapMs of gaps) {
            atMs += gapMs;
            ticks += Math.ceil(gapMs / 10);
            const truth = trueAspect(timeline, atMs);
            const outcome: PollOutcome = {
              ok: true,
              aspect: truth.aspect,
              upTimeTicks: ticks,
              bits: { walk: false, pedClear: false, dontWalk: false },
            };
            const step = trackPoll(state, outcome, atMs, OPTIONS);
            if (step.publish) {
              expect(step.publish.aspect).toBe(truth.aspect);
              expect(step.publish.sentAtMs).toBe(atMs);
              expect(step.publish.stateBeganAtMs).toBeLessThanOrEqual(atMs);
              // Never earlier than the real change (a DON'T WALK is never older than known)...
              expect(step.publish.stateBeganAtMs).toBeGreaterThanOrEqual(truth.beganAtMs);
              lastPublishedAtMs = atMs;
            } else if (state.upTime) {
              // ...and a healthy controller is reported at least every publishEveryMs (give or take a poll).
              expect(atMs - lastPublishedAtMs).toBeLessThan(OPTIONS.publishEveryMs);
              expect(step.state.current?.aspect).toBe(truth.aspect);
            }
            state = step.state;
          }
        },
      ),
    );
  });

  it('a fault publishes one DARK then nothing; a clock that stands still refreshes nothing and is frozen after frozenAfterMs', () => {
    const ok = (ticks: number, aspect: SignalAspect = 'steady_dont_walk'): PollOutcome => ({
      ok: true,
      aspect,
      upTimeTicks: ticks,
      bits: { walk: false, pedClear: false, dontWalk: true },
    });
    let s = trackPoll(INITIAL_TRACKER, ok(10), 0, OPTIONS);
    expect(s.publish).toBeUndefined();
    s = trackPoll(s.state, ok(20), 100, OPTIONS);
    expect(s.publish).toEqual({ aspect: 'steady_dont_walk', stateBeganAtMs: 100, sentAtMs: 100 });
    // The clock stands still: no report, then frozen.
    s = trackPoll(s.state, ok(20), 350, OPTIONS);
    expect(s.publish).toBeUndefined();
    expect(s.state.fault).toBeUndefined();
    s = trackPoll(s.state, ok(20), 401, OPTIONS);
    expect(s.state.fault).toMatchObject({ reason: 'frozen', sinceMs: 401 });
    expect(s.publish).toEqual({ aspect: 'dark', stateBeganAtMs: 401, sentAtMs: 401 });
    // Still frozen: nothing more.
    expect(trackPoll(s.state, ok(20), 450, OPTIONS).publish).toBeUndefined();
    // Moving again: the aspect starts over from when it is seen (its start is not known).
    s = trackPoll(s.state, ok(30), 500, OPTIONS);
    expect(s.publish).toEqual({ aspect: 'steady_dont_walk', stateBeganAtMs: 500, sentAtMs: 500 });
    expect(s.state.fault).toBeUndefined();
    fc.assert(
      fc.property(
        fc.constantFrom('no_answer', 'snmp_error', 'garbage', 'conflict', 'frozen' as const),
        fc.integer({ min: 0, max: 10_000 }),
        (fault, atMs) => {
          // (A missed answer is a fault only once the clock has not been seen moving for frozenAfterMs.)
          const t = 801 + atMs;
          const step = trackPoll(s.state, { ok: false, fault, detail: 'x' }, t, OPTIONS);
          expect(step.publish).toEqual({ aspect: 'dark', stateBeganAtMs: t, sentAtMs: t });
          expect(trackPoll(step.state, { ok: false, fault, detail: 'y' }, t + 50, OPTIONS).publish).toBeUndefined();
          expect(step.state.current).toBeUndefined();
          expect(step.state.fault?.reason).toBe(fault);
          // After any fault, the first good answer only sets the mark; the next one reports.
          const first = trackPoll(step.state, ok(1000), t + 100, OPTIONS);
          expect(first.publish).toBeUndefined();
          const second = trackPoll(first.state, ok(1010), t + 200, OPTIONS);
          expect(second.publish).toEqual({ aspect: 'steady_dont_walk', stateBeganAtMs: t + 200, sentAtMs: t + 200 });
        },
      ),
    );
    // A missed answer within frozenAfterMs of the clock last moving is a gap, not a fault: the
    // aspect and its start are kept.
    const timedOut = { ok: false, fault: 'no_answer', detail: 'Request timed out' } as const;
    const gap = trackPoll(s.state, timedOut, 650, OPTIONS);
    expect(gap).toEqual({ state: s.state, publish: undefined });
    const after = trackPoll(gap.state, ok(45), 750, OPTIONS);
    expect(after.publish).toEqual({ aspect: 'steady_dont_walk', stateBeganAtMs: 500, sentAtMs: 750 });
    const silent = trackPoll(s.state, timedOut, 801, OPTIONS);
    expect(silent.state.fault).toMatchObject({
      reason: 'no_answer',
      detail: 'no answer for 301 ms: Request timed out',
    });
    // Inside a fault the controller answered with, one missed reply is part of that fault (one
    // episode, one reason); silence longer than frozenAfterMs after its last answer is no_answer.
    const conflict = trackPoll(
      s.state,
      { ok: false, fault: 'conflict', detail: 'walk 1 and dont_walk 1' },
      700,
      OPTIONS,
    );
    const missed = trackPoll(conflict.state, timedOut, 900, OPTIONS);
    expect(missed).toEqual({ state: conflict.state, publish: undefined });
    const stillConflict = trackPoll(missed.state, { ok: false, fault: 'conflict', detail: 'again' }, 1000, OPTIONS);
    expect(stillConflict.state.fault).toMatchObject({ reason: 'conflict', sinceMs: 700 });
    expect(trackPoll(stillConflict.state, timedOut, 1301, OPTIONS).state.fault).toMatchObject({
      reason: 'no_answer',
      sinceMs: 1301,
    });
    // A controller that restarted (its clock went back) starts the aspect over.
    const restarted = trackPoll(s.state, ok(5), 700, OPTIONS);
    expect(restarted.publish).toEqual({ aspect: 'steady_dont_walk', stateBeganAtMs: 700, sentAtMs: 700 });
  });
});

describe('signal bridge config', () => {
  it('reads the example and demo configs, and names the key of a bad value', async () => {
    const { parse } = await import('yaml');
    const { readFile } = await import('node:fs/promises');
    const { parseBridgeConfig } = await import('../../../edge/signal/bridge/config.js');
    for (const file of ['docs/examples/signal-bridge.yaml', 'edge/demo/signal-bridge.yaml']) {
      const raw = parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      const config = parseBridgeConfig(raw, '/base', file);
      expect(config.pollIntervalMs).toBeLessThanOrEqual(100);
      expect(config.controller.snmp.version).toBe('v3');
      expect(() => parseBridgeConfig({ ...raw, pedestrianPhase: 0 }, '/base', file)).toThrow(
        new RegExp(`^${file}: pedestrianPhase: `),
      );
      expect(() =>
        parseBridgeConfig(
          { ...raw, controller: { ...(raw.controller as object), snmp: { version: 'v1' } } },
          '/',
          file,
        ),
      ).toThrow(/controller\.snmp\.version/);
      expect(() => parseBridgeConfig({ ...raw, extra: 1 }, '/', file)).toThrow(/Unrecognized key/);
    }
    const raw = parse(await readFile('edge/demo/signal-bridge.yaml', 'utf8')) as Record<string, unknown>;
    const defaults = parseBridgeConfig({ ...raw, pollIntervalMs: undefined, publishEveryMs: undefined }, '/b', 'x');
    expect(defaults.pollIntervalMs).toBe(100);
    expect(defaults.keyFile).toBe('/b/signal/bridge.key');
  });
});
