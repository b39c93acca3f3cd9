import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suspensionReasons } from '../../../edge/rule/enforcement.js';
import { classifyEntry } from '../../../edge/rule/entry-rule.js';
import { EMPTY_FEED, readingFromFeed, receiveReport } from '../../../edge/signal/controller-feed.js';
import type { FeedOptions, FeedState } from '../../../edge/signal/controller-feed.js';
import type { SignalReading } from '../../../edge/signal/signal.js';
import { SignalPhaseReport, SignalState, SignedSignalReport, keyIdOf, signSignalReport } from '../../../proto/index.js';

const controller = generateKeyPairSync('ed25519');
const attacker = generateKeyPairSync('ed25519');
const KEY = { keyId: keyIdOf(controller.publicKey), privateKey: controller.privateKey };
const ATTACKER = { keyId: keyIdOf(attacker.publicKey), privateKey: attacker.privateKey };
const OPTIONS: FeedOptions = {
  controllerId: 'ctl-1',
  key: { keyId: KEY.keyId, publicKey: controller.publicKey },
  staleAfterMs: 2500,
  maxClockOffsetMs: 500,
  keepMs: 60_000,
};
const T0 = 1_700_000_000_000;
const GRACE_MS = 1000;

const STATES = [
  SignalState.SIGNAL_STATE_WALK,
  SignalState.SIGNAL_STATE_FLASHING_DONT_WALK,
  SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
  SignalState.SIGNAL_STATE_DARK,
];

/** One genuine report: device arrival gap, how late it was sent (controller clock), its state. */
const genuineArb = fc.record({
  gapMs: fc.integer({ min: 0, max: 1500 }),
  // Mostly a little late; sometimes far behind or ahead (refused for time in both runs).
  lateMs: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: -300, max: 600 }) },
    { weight: 1, arbitrary: fc.integer({ min: -6000, max: 6000 }) },
  ),
  state: fc.constantFrom(...STATES),
  beganBeforeMs: fc.integer({ min: 0, max: 20_000 }),
});

type ForgeryKind =
  | 'attacker_key'
  | 'attacker_claims_pinned_id'
  | 'unsigned'
  | 'empty_signature'
  | 'tampered_report'
  | 'flipped_byte'
  | 'replay'
  | 'sequence_back'
  | 'other_controller'
  | 'junk';

const forgeryArb = fc.record({
  kind: fc.constantFrom<ForgeryKind>(
    'attacker_key',
    'attacker_claims_pinned_id',
    'unsigned',
    'empty_signature',
    'tampered_report',
    'flipped_byte',
    'replay',
    'sequence_back',
    'other_controller',
    'junk',
  ),
  /** Offset after the previous message (device clock). */
  gapMs: fc.integer({ min: 0, max: 1500 }),
  /** Picks which earlier genuine message (replays, tampering) or which sequence. */
  pick: fc.nat(),
  state: fc.constantFrom(...STATES),
  sequence: fc.nat({ max: 1_000_000 }),
  junk: fc.uint8Array({ maxLength: 40 }),
});

type Forgery = typeof forgeryArb extends fc.Arbitrary<infer T> ? T : never;

/** Genuine reports in order, each with the forgeries that arrive just before it. */
const scenarioArb = fc.array(fc.record({ genuine: genuineArb, forgedBefore: fc.array(forgeryArb, { maxLength: 4 }) }), {
  minLength: 1,
  maxLength: 20,
});

/** Something the attacker can publish, given what went over the wire so far. */
function forge(f: Forgery, atMs: number, delivered: readonly Uint8Array[], gate: FeedState['gate']): Uint8Array {
  const fresh = (over: Partial<SignalPhaseReport> = {}): SignalPhaseReport => ({
    controllerId: 'ctl-1',
    state: f.state,
    stateBeganAtMs: atMs - 60_000,
    sentAtMs: atMs,
    sequence: gate.highestSequence + 1 + f.sequence,
    ...over,
  });
  const earlier = delivered.length > 0 ? delivered[f.pick % delivered.length]! : undefined;
  switch (f.kind) {
    case 'attacker_key':
      return signSignalReport(fresh(), ATTACKER);
    case 'attacker_claims_pinned_id':
      return signSignalReport(fresh(), { keyId: KEY.keyId, privateKey: ATTACKER.privateKey });
    case 'unsigned':
      return SignalPhaseReport.encode(fresh()).finish();
    case 'empty_signature':
      return SignedSignalReport.encode({
        report: Buffer.from(SignalPhaseReport.encode(fresh()).finish()),
        keyId: KEY.keyId,
        signature: Buffer.alloc(0),
      }).finish();
    case 'tampered_report': {
      if (!earlier) return signSignalReport(fresh(), ATTACKER);
      const env = SignedSignalReport.decode(earlier);
      const inner = SignalPhaseReport.decode(env.report);
      const changed = SignalPhaseReport.encode({
        ...inner,
        state: f.state === inner.state ? SignalState.SIGNAL_STATE_STEADY_DONT_WALK : f.state,
        stateBeganAtMs: atMs - 60_000,
        sentAtMs: atMs,
        sequence: gate.highestSequence + 1,
      }).finish();
      return SignedSignalReport.encode({ ...env, report: Buffer.from(changed) }).finish();
    }
    case 'flipped_byte': {
      if (!earlier) return f.junk;
      const bytes = Uint8Array.from(earlier);
      bytes[f.pick % bytes.length]! ^= 1 << (f.sequence % 8);
      return bytes;
    }
    case 'replay':
      return earlier ?? f.junk;
    case 'sequence_back':
      // Signed by the controller's own key, fresh, but numbered at or below what it has signed.
      return signSignalReport(fresh({ sequence: f.sequence % (gate.highestSequence + 1) }), KEY);
    case 'other_controller':
      // The controller's key (a bridge serving two controllers), for the other one.
      return signSignalReport(fresh({ controllerId: 'ctl-2' }), KEY);
    case 'junk':
      return f.junk;
  }
}

/** What the edge would decide for an entry at `atMs`, and why it would be suspended. */
function decisionAt(feed: FeedState, atMs: number) {
  const reading = readingFromFeed(feed, atMs, OPTIONS);
  return {
    outcome: classifyEntry(reading, GRACE_MS),
    reasons: suspensionReasons(reading, false),
    reading,
  };
}

function withoutUnauthenticated(reading: SignalReading): SignalReading {
  return { ...reading, isUnauthenticated: undefined };
}

describe('forged signal reports', () => {
  it('property: forged, tampered, unsigned and replayed reports never change what the edge decides', () => {
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.integer({ min: -3000, max: 4000 }), { maxLength: 4 }), (steps, probes) => {
        let genuineOnly: FeedState = EMPTY_FEED;
        let mixed: FeedState = EMPTY_FEED;
        const delivered: Uint8Array[] = [];
        let atMs = T0;
        let sequence = 0;
        const compare = (whenMs: number): void => {
          // The state the signal is read from is the same, byte for byte...
          expect(mixed.gate).toEqual(genuineOnly.gate);
          expect(mixed.timeline).toEqual(genuineOnly.timeline);
          // ...and so is every decision, at the arrival and around it; forgeries may only add
          // signal_unauthenticated next to signal_stale.
          for (const probeMs of [0, ...probes]) {
            const t = whenMs + probeMs;
            const a = decisionAt(genuineOnly, t);
            const b = decisionAt(mixed, t);
            expect(b.outcome).toBe(a.outcome);
            expect(withoutUnauthenticated(b.reading)).toEqual(withoutUnauthenticated(a.reading));
            expect(b.reasons.filter((r) => r !== 'signal_unauthenticated')).toEqual(
              a.reasons.filter((r) => r !== 'signal_unauthenticated'),
            );
            if (b.reasons.includes('signal_unauthenticated')) expect(b.reasons).toContain('signal_stale');
          }
        };
        for (const { genuine, forgedBefore } of steps) {
          for (const f of forgedBefore) {
            atMs += f.gapMs;
            const step = receiveReport(mixed, forge(f, atMs, delivered, mixed.gate), OPTIONS, atMs);
            expect(step.verdict.accepted).toBe(false);
            mixed = step.feed;
            compare(atMs);
          }
          atMs += genuine.gapMs;
          sequence += 1;
          const sentAtMs = atMs - genuine.lateMs;
          const bytes = signSignalReport(
            {
              controllerId: 'ctl-1',
              state: genuine.state,
              stateBeganAtMs: sentAtMs - genuine.beganBeforeMs,
              sentAtMs,
              sequence,
            },
            KEY,
          );
          delivered.push(bytes);
          const a = receiveReport(genuineOnly, bytes, OPTIONS, atMs);
          const b = receiveReport(mixed, bytes, OPTIONS, atMs);
          expect(b.verdict.accepted).toBe(a.verdict.accepted);
          genuineOnly = a.feed;
          mixed = b.feed;
          compare(atMs);
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('property: genuine reports in order, on time, are all accepted', () => {
    fc.assert(
      fc.property(fc.array(genuineArb, { minLength: 1, maxLength: 20 }), (reports) => {
        let feed: FeedState = EMPTY_FEED;
        let atMs = T0;
        reports.forEach((g, i) => {
          atMs += g.gapMs + 1;
          const bytes = signSignalReport(
            { controllerId: 'ctl-1', state: g.state, stateBeganAtMs: atMs - 1000, sentAtMs: atMs, sequence: i + 1 },
            KEY,
          );
          const step = receiveReport(feed, bytes, OPTIONS, atMs);
          expect(step.verdict.accepted).toBe(true);
          feed = step.feed;
        });
        expect(feed.timeline.length).toBeGreaterThan(0);
      }),
    );
  });
});
