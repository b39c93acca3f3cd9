import type { SignalAspect } from '../signal.js';
import type { PollFault, PollReading } from './decode.js';

/** Why the bridge stops reporting the controller's aspect: each is a label of zebra_signal_bridge_faults_total. */
export type BridgeFault =
  | PollFault
  /** The controller did not answer within the timeout. */
  | 'no_answer'
  /** The controller answered with an SNMP error (authentication, an error status, a report PDU). */
  | 'snmp_error'
  /** The controller answers, but its sysUpTime has not advanced for longer than allowed. */
  | 'frozen';

export const BRIDGE_FAULTS: readonly BridgeFault[] = ['no_answer', 'snmp_error', 'garbage', 'conflict', 'frozen'];

/** What one poll came back with. */
export type PollOutcome = PollReading | { readonly ok: false; readonly fault: BridgeFault; readonly detail: string };

export interface TrackerOptions {
  /**
   * A controller whose sysUpTime has not been seen advancing for this long is in fault:
   * `frozen` if it answers with a clock that stands still, `no_answer` if it does not answer.
   */
  readonly frozenAfterMs: number;
  /** Without a change, a report goes out at least this often. */
  readonly publishEveryMs: number;
}

/** What the bridge knows of the controller between polls. */
export interface TrackerState {
  /** The aspect and when the bridge first saw it; undefined until a good poll (and after any fault). */
  readonly current: { readonly aspect: SignalAspect; readonly beganAtMs: number } | undefined;
  /** The last sysUpTime seen and when (bridge clock) it last advanced. */
  readonly upTime: { readonly ticks: number; readonly advancedAtMs: number } | undefined;
  /** Bridge clock of the last report published. */
  readonly lastPublishedAtMs: number;
  /** The fault now in force; undefined while the controller is healthy. */
  readonly fault: { readonly reason: BridgeFault; readonly detail: string; readonly sinceMs: number } | undefined;
  /** Bridge clock of the controller's last answer of any kind (good, an error, garbage, a conflict). */
  readonly answeredAtMs: number;
}

export const INITIAL_TRACKER: TrackerState = {
  current: undefined,
  upTime: undefined,
  lastPublishedAtMs: -Infinity,
  fault: undefined,
  answeredAtMs: -Infinity,
};

/** A report to sign and publish. */
export interface ReportToPublish {
  readonly aspect: SignalAspect;
  readonly stateBeganAtMs: number;
  readonly sentAtMs: number;
}

export interface TrackerStep {
  readonly state: TrackerState;
  readonly publish: ReportToPublish | undefined;
}

function faulted(
  state: TrackerState,
  reason: BridgeFault,
  detail: string,
  nowMs: number,
  keepUpTime: boolean,
): TrackerStep {
  const sinceMs = state.fault?.reason === reason ? state.fault.sinceMs : nowMs;
  // Entering a fault after reporting: one last report says DARK (the contract's "dark or in
  // fault"), so the edge stops enforcing at once instead of at the end of its staleness window.
  const isAnnounced = state.fault === undefined && Number.isFinite(state.lastPublishedAtMs);
  return {
    state: {
      ...state,
      current: undefined,
      upTime: keepUpTime ? state.upTime : undefined,
      lastPublishedAtMs: isAnnounced ? nowMs : state.lastPublishedAtMs,
      fault: { reason, detail, sinceMs },
      answeredAtMs: reason === 'no_answer' ? state.answeredAtMs : nowMs,
    },
    publish: isAnnounced ? { aspect: 'dark', stateBeganAtMs: nowMs, sentAtMs: nowMs } : undefined,
  };
}

/**
 * Takes one poll's outcome at `nowMs` (bridge clock) and says what to publish. A fault
 * publishes one DARK report as it begins (if anything was reported before it), then nothing:
 * the edge decides `signal_dark` at once and, once its feed is stale, suspends enforcement.
 * It forgets the aspect, so after it the next aspect counts as begun when it is seen again. An aspect begins
 * when a poll first sees it (never earlier than observed: a DON'T WALK is never older than
 * the bridge knows). A poll whose sysUpTime did not advance refreshes nothing (the first
 * answer, also after a fault, only sets the mark); standing still longer than `frozenAfterMs`
 * is a fault. A report goes out on every change and otherwise
 * every `publishEveryMs`. Pure.
 */
export function trackPoll(
  state: TrackerState,
  outcome: PollOutcome,
  nowMs: number,
  options: TrackerOptions,
): TrackerStep {
  if (!outcome.ok) {
    // A missed answer says nothing about the signal: within frozenAfterMs of the clock last
    // seen moving it is only a gap (nothing is published meanwhile); longer, the controller
    // has stopped answering.
    const silentMs = state.upTime ? nowMs - state.upTime.advancedAtMs : Infinity;
    if (outcome.fault === 'no_answer' && !state.fault && silentMs <= options.frozenAfterMs)
      return { state, publish: undefined };
    // Likewise inside a fault the controller itself answered with (a conflict, garbage, an
    // error): one missed reply soon after is part of that fault, not a second one.
    const isGapInFault =
      outcome.fault === 'no_answer' &&
      state.fault !== undefined &&
      state.fault.reason !== 'no_answer' &&
      nowMs - state.answeredAtMs <= options.frozenAfterMs;
    if (isGapInFault) return { state, publish: undefined };
    const detail =
      outcome.fault === 'no_answer' && Number.isFinite(silentMs)
        ? `no answer for ${silentMs} ms: ${outcome.detail}`
        : outcome.detail;
    return faulted(state, outcome.fault, detail, nowMs, false);
  }
  const ticks = outcome.upTimeTicks;
  const previous = state.upTime;
  // The first answer (also after a fault) only sets the mark: a report needs a clock seen moving.
  if (!previous)
    return { state: { ...state, upTime: { ticks, advancedAtMs: nowMs }, answeredAtMs: nowMs }, publish: undefined };
  if (ticks === previous.ticks) {
    const stillMs = nowMs - previous.advancedAtMs;
    if (stillMs > options.frozenAfterMs)
      return faulted(state, 'frozen', `sysUpTime stuck at ${ticks} for ${stillMs} ms`, nowMs, true);
    return { state: { ...state, answeredAtMs: nowMs }, publish: undefined };
  }
  // A clock that went back: the controller restarted, so what it showed before says nothing now.
  const restarted = ticks < previous.ticks;
  const upTime = { ticks, advancedAtMs: nowMs };
  const known = restarted || state.fault ? undefined : state.current;
  const isChange = !known || known.aspect !== outcome.aspect;
  const current = isChange ? { aspect: outcome.aspect, beganAtMs: nowMs } : known;
  const isDue = isChange || nowMs - state.lastPublishedAtMs >= options.publishEveryMs;
  const next: TrackerState = {
    current,
    upTime,
    lastPublishedAtMs: isDue ? nowMs : state.lastPublishedAtMs,
    fault: undefined,
    answeredAtMs: nowMs,
  };
  return {
    state: next,
    publish: isDue ? { aspect: current.aspect, stateBeganAtMs: current.beganAtMs, sentAtMs: nowMs } : undefined,
  };
}
