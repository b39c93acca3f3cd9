import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_FEED, readingFromFeed, receiveReport } from '../../../edge/signal/controller-feed.js';
import type { FeedOptions, FeedState } from '../../../edge/signal/controller-feed.js';
import { EMPTY_GATE, admitReport } from '../../../edge/signal/report-gate.js';
import type { GateOptions } from '../../../edge/signal/report-gate.js';
import { SignalReportSigner } from '../../../edge/signal/report-signer.js';
import { suspensionReasons } from '../../../edge/rule/enforcement.js';
import {
  SignalPhaseReport,
  SignalState,
  SignedSignalReport,
  keyIdOf,
  signReceiptBatch,
  signSignalReport,
} from '../../../proto/index.js';

const controller = generateKeyPairSync('ed25519');
const KEY = { keyId: keyIdOf(controller.publicKey), privateKey: controller.privateKey };
const PINNED = { keyId: KEY.keyId, publicKey: controller.publicKey };
const GATE: GateOptions = { controllerId: 'ctl-1', key: PINNED, windowMs: 2500 };
const NOW = 1_700_000_000_000;

function report(over: Partial<SignalPhaseReport> = {}): SignalPhaseReport {
  return {
    controllerId: 'ctl-1',
    state: SignalState.SIGNAL_STATE_WALK,
    stateBeganAtMs: NOW - 5000,
    sentAtMs: NOW,
    sequence: 10,
    ...over,
  };
}

const signed = (over: Partial<SignalPhaseReport> = {}): Uint8Array => signSignalReport(report(over), KEY);

describe('signal report gate', () => {
  it('accepts a report signed by the pinned key, and remembers its sequence and time', () => {
    const verdict = admitReport(EMPTY_GATE, signed(), GATE, NOW + 40);
    expect(verdict).toEqual({
      accepted: true,
      state: { highestSequence: 10, lastSentAtMs: NOW },
      report: { aspect: 'walk', stateBeganAtMs: NOW - 5000, sentAtMs: NOW, receivedAtMs: NOW + 40 },
    });
  });

  it('refuses, with the reason, everything else', () => {
    const other = generateKeyPairSync('ed25519');
    const env = SignedSignalReport.decode(signed());
    const bitFlipped = Buffer.from(env.report);
    bitFlipped[bitFlipped.length - 1]! ^= 0x01;
    const after = { highestSequence: 10, lastSentAtMs: NOW - 3000 };
    const cases: [string, Uint8Array, string][] = [
      ['junk', new Uint8Array([0xff, 0xff, 0xff]), 'undecodable'],
      ['unsigned (bare report)', SignalPhaseReport.encode(report({ sequence: 99 })).finish(), 'unknown_key'],
      ['no signature', SignedSignalReport.encode({ ...env, signature: Buffer.alloc(0) }).finish(), 'bad_signature'],
      [
        'another key',
        signSignalReport(report({ sequence: 99 }), { keyId: keyIdOf(other.publicKey), privateKey: other.privateKey }),
        'unknown_key',
      ],
      [
        'another key claiming the pinned id',
        signSignalReport(report({ sequence: 99 }), { keyId: KEY.keyId, privateKey: other.privateKey }),
        'bad_signature',
      ],
      ['one bit flipped', SignedSignalReport.encode({ ...env, report: bitFlipped }).finish(), 'bad_signature'],
      [
        'signed without the context',
        SignedSignalReport.encode({ ...env, signature: sign(null, env.report, controller.privateKey) }).finish(),
        'bad_signature',
      ],
      [
        "the same key's receipt batch",
        signReceiptBatch([], KEY),
        // Decodes as a SignedSignalReport only by accident; its signature carries another context.
        'bad_signature',
      ],
      ['another controller', signed({ controllerId: 'ctl-2', sequence: 99 }), 'wrong_controller'],
      ['no state', signed({ state: SignalState.SIGNAL_STATE_UNSPECIFIED, sequence: 99 }), 'bad_state'],
      ['sequence not above', signed({ sequence: 10, sentAtMs: NOW + 50 }), 'replayed'],
      ['sequence back', signed({ sequence: 3, sentAtMs: NOW + 50 }), 'replayed'],
      ['sent no later than the last', signed({ sequence: 11, sentAtMs: NOW - 3000 }), 'out_of_order'],
      ['too old', signed({ sequence: 11, sentAtMs: NOW - 2501 }), 'stale'],
      ['too far ahead', signed({ sequence: 11, sentAtMs: NOW + 2501 }), 'future'],
    ];
    for (const [name, data, reason] of cases) {
      const verdict = admitReport(after, data, GATE, NOW);
      expect({ name, accepted: verdict.accepted, reason: verdict.accepted ? '' : verdict.reason }).toEqual({
        name,
        accepted: false,
        reason,
      });
    }
  });

  it('raises the sequence mark on a verified report refused for its time, so it cannot be replayed later', () => {
    const early = signed({ sequence: 11, sentAtMs: NOW + 4000 });
    const first = admitReport({ highestSequence: 10, lastSentAtMs: NOW - 100 }, early, GATE, NOW);
    expect(first).toMatchObject({ accepted: false, reason: 'future', state: { highestSequence: 11 } });
    expect(admitReport(first.state, early, GATE, NOW + 4000)).toMatchObject({ accepted: false, reason: 'replayed' });
  });

  it('accepts the window edges', () => {
    expect(admitReport(EMPTY_GATE, signed({ sentAtMs: NOW - 2500 }), GATE, NOW).accepted).toBe(true);
    expect(admitReport(EMPTY_GATE, signed({ sentAtMs: NOW + 2500 }), GATE, NOW).accepted).toBe(true);
  });

  it('is stale and unauthenticated while only refused reports arrive, and the signal stays where it was', () => {
    const options: FeedOptions = { ...GATE, staleAfterMs: 2500, maxClockOffsetMs: 500, keepMs: 60_000 };
    const signer = new SignalReportSigner('ctl-1', controller.privateKey, 0);
    let feed: FeedState = receiveReport(
      EMPTY_FEED,
      signer.sign({ state: SignalState.SIGNAL_STATE_WALK, stateBeganAtMs: NOW - 1000, sentAtMs: NOW }),
      options,
      NOW,
    ).feed;
    for (let t = NOW + 500; t <= NOW + 6000; t += 500)
      feed = receiveReport(
        feed,
        signed({ state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK, sequence: 1e9 }),
        options,
        t,
      ).feed;
    expect(readingFromFeed(feed, NOW + 2000, options)).toMatchObject({ aspect: 'walk', isStale: false });
    const late = readingFromFeed(feed, NOW + 6000, options);
    expect(late).toMatchObject({ aspect: 'walk', isStale: true, isUnauthenticated: true });
    expect(suspensionReasons(late, false)).toEqual(['signal_stale', 'signal_unauthenticated']);
    // Quiet for longer than the window: just stale.
    expect(suspensionReasons(readingFromFeed(feed, NOW + 9000, options), false)).toEqual(['signal_stale']);
  });
});
