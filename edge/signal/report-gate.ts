import { SignalState, openSignalReport } from '../../proto/index.js';
import type { PinnedKey } from '../pinned-key.js';
import type { ReceivedReport } from './controller-timeline.js';
import type { SignalAspect } from './signal.js';

const ASPECTS: Partial<Record<SignalState, SignalAspect>> = {
  [SignalState.SIGNAL_STATE_WALK]: 'walk',
  [SignalState.SIGNAL_STATE_FLASHING_DONT_WALK]: 'flashing_dont_walk',
  [SignalState.SIGNAL_STATE_STEADY_DONT_WALK]: 'steady_dont_walk',
  [SignalState.SIGNAL_STATE_DARK]: 'dark',
};

/** Why a signal report was refused; each is a label of zebra_edge_signal_reports_refused_total. */
export type RefusalReason =
  /** Not a SignedSignalReport, or the signed bytes are not a SignalPhaseReport. */
  | 'undecodable'
  /** Unsigned, or signed by a key other than the pinned one. */
  | 'unknown_key'
  /** Claims the pinned key, but the signature does not verify over the received bytes. */
  | 'bad_signature'
  /** Signed by the pinned key, for another controller. */
  | 'wrong_controller'
  /** Signed, but the state is unspecified or unknown. */
  | 'bad_state'
  /** Sequence not above the highest the pinned key has signed so far: a replay, or a late copy. */
  | 'replayed'
  /** New sequence, but sent no later than the last accepted report: the controller clock went back. */
  | 'out_of_order'
  /** Sent longer ago than the window, by the device clock. */
  | 'stale'
  /** Sent further ahead of the device clock than the window. */
  | 'future';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'undecodable',
  'unknown_key',
  'bad_signature',
  'wrong_controller',
  'bad_state',
  'replayed',
  'out_of_order',
  'stale',
  'future',
];

/** What the gate remembers of the reports it has seen from the pinned key. */
export interface GateState {
  /** Highest sequence among the verified reports for this controller (accepted or not). */
  readonly highestSequence: number;
  /** Controller clock of the last accepted report. */
  readonly lastSentAtMs: number;
}

/** Before the first report. */
export const EMPTY_GATE: GateState = { highestSequence: 0, lastSentAtMs: -Infinity };

export interface GateOptions {
  readonly controllerId: string;
  /** The controller's (or its bridge's) key, pinned in the config. */
  readonly key: PinnedKey;
  /** A report sent longer ago than this (device clock) is refused; so is one this far ahead. */
  readonly windowMs: number;
}

export type GateVerdict =
  | { readonly accepted: true; readonly state: GateState; readonly report: ReceivedReport }
  | { readonly accepted: false; readonly state: GateState; readonly reason: RefusalReason; readonly detail: string };

function refuse(state: GateState, reason: RefusalReason, detail: string): GateVerdict {
  return { accepted: false, state, reason, detail };
}

/**
 * Decides whether one message from the signal subject may move the edge's signal: it must be
 * signed by the pinned key over the received bytes, for this controller, with a sequence above
 * every one seen before, sent after the last accepted report, and within `windowMs` of
 * `receivedAtMs` (device clock) either way. A refused report leaves the signal as it was; a
 * verified one refused for its time still raises the sequence mark, so it cannot be replayed
 * later. Pure (Ed25519 verification is deterministic).
 */
export function admitReport(
  state: GateState,
  data: Uint8Array,
  options: GateOptions,
  receivedAtMs: number,
): GateVerdict {
  const opened = openSignalReport(data, options.key);
  if (!opened.ok) return refuse(state, opened.reason, opened.detail);
  const report = opened.report;
  if (report.controllerId !== options.controllerId)
    return refuse(state, 'wrong_controller', `for controller ${report.controllerId || '(none)'}`);
  const aspect = ASPECTS[report.state];
  if (!aspect) return refuse(state, 'bad_state', `state ${report.state}`);
  if (report.sequence <= state.highestSequence)
    return refuse(state, 'replayed', `sequence ${report.sequence}, already at ${state.highestSequence}`);
  const seen: GateState = { ...state, highestSequence: report.sequence };
  if (report.sentAtMs <= state.lastSentAtMs)
    return refuse(seen, 'out_of_order', `sent at ${report.sentAtMs}, last accepted sent at ${state.lastSentAtMs}`);
  const ageMs = receivedAtMs - report.sentAtMs;
  if (ageMs > options.windowMs) return refuse(seen, 'stale', `sent ${ageMs} ms ago`);
  if (-ageMs > options.windowMs) return refuse(seen, 'future', `sent ${-ageMs} ms ahead of the device clock`);
  return {
    accepted: true,
    state: { highestSequence: report.sequence, lastSentAtMs: report.sentAtMs },
    report: { aspect, stateBeganAtMs: report.stateBeganAtMs, sentAtMs: report.sentAtMs, receivedAtMs },
  };
}
