import type { SignalReading } from '../signal/signal.js';
import { suspensionReasons } from './enforcement.js';
import type { SuspensionReason } from './enforcement.js';
import type { Track, TrackPoint } from '../track/tracker.js';
import type { Point } from './geometry.js';
import { feetPoint, isInsidePolygon } from './geometry.js';

export interface CrosswalkZone {
  readonly id: string;
  readonly version: number;
  readonly polygon: readonly Point[];
}

export interface RuleOptions {
  /** Time after steady DON'T WALK begins during which an entry is still lawful. */
  readonly graceMs: number;
  /** How long the feet must stay inside before an entry counts (absorbs edge jitter). */
  readonly minDwellMs: number;
}

/** How the rule judged one entry into the zone. */
export type EntryOutcome = 'infraction' | 'lawful_walk' | 'lawful_flashing' | 'lawful_within_grace' | 'signal_dark';

/** A decided entry: the feet entered the zone and stayed for the minimum dwell. */
export interface EntryDecision {
  readonly trackId: number;
  readonly zoneId: string;
  readonly outcome: EntryOutcome;
  /** First observation with the feet inside. */
  readonly entry: TrackPoint;
  /** The observation at which the dwell was satisfied. */
  readonly decidedAt: TrackPoint;
  /** The signal when the feet entered. */
  readonly signal: SignalReading;
  /** Non-empty when enforcement was suspended at the entry: the candidate is marked, not dropped. */
  readonly suspendedReasons: readonly SuspensionReason[];
}

/** What the rule reads about the world at an instant. */
export interface RuleContext {
  signalAt(atMs: number): SignalReading;
  /** Whether the camera's view was obstructed at the frame being processed. */
  readonly isCameraObstructed: boolean;
}

/** What the rule remembers per track between frames. */
interface TrackRuleState {
  readonly hasBeenOutside: boolean;
  readonly pendingEntry?: {
    readonly point: TrackPoint;
    readonly signal: SignalReading;
    readonly suspendedReasons: readonly SuspensionReason[];
  };
  readonly isDecided: boolean;
}

export type RuleState = ReadonlyMap<number, TrackRuleState>;

export const EMPTY_RULE_STATE: RuleState = new Map();

/** Classifies an entry by the signal at the moment the feet entered. Pure. */
export function classifyEntry(signal: SignalReading, graceMs: number): EntryOutcome {
  switch (signal.aspect) {
    case 'walk':
      return 'lawful_walk';
    case 'flashing_dont_walk':
      return 'lawful_flashing';
    case 'dark':
      return 'signal_dark';
    case 'steady_dont_walk':
      return signal.msSinceSteadyDontWalk > graceMs ? 'infraction' : 'lawful_within_grace';
  }
}

function entryAt(point: TrackPoint, context: RuleContext): NonNullable<TrackRuleState['pendingEntry']> {
  const signal = context.signalAt(point.capturedAtMs);
  return { point, signal, suspendedReasons: suspensionReasons(signal, context.isCameraObstructed) };
}

function stepTrack(
  prior: TrackRuleState,
  point: TrackPoint,
  isInside: boolean,
  context: RuleContext,
  options: RuleOptions,
): { state: TrackRuleState; decided?: Omit<EntryDecision, 'trackId' | 'zoneId'> } {
  if (!isInside) return { state: { hasBeenOutside: true, isDecided: prior.isDecided } };
  if (prior.isDecided || !prior.hasBeenOutside) return { state: prior };
  const pending = prior.pendingEntry ?? entryAt(point, context);
  if (point.capturedAtMs - pending.point.capturedAtMs < options.minDwellMs) {
    return { state: { ...prior, pendingEntry: pending } };
  }
  const outcome = classifyEntry(pending.signal, options.graceMs);
  return {
    state: { hasBeenOutside: true, isDecided: true },
    decided: {
      outcome,
      entry: pending.point,
      decidedAt: point,
      signal: pending.signal,
      suspendedReasons: pending.suspendedReasons,
    },
  };
}

/**
 * Advances the entry rule by one frame for every updated track. An entry is the feet point
 * crossing from outside to inside the zone; a track first seen inside has not entered.
 * Each track is decided at most once, also across a loss and re-acquisition of the same
 * track id (a lost track keeps its state until the tracker drops it). Suspension (a stale
 * signal, an obstructed view, an unsynced clock) at the entry marks the decision.
 * Pure: returns the new state and the decisions made.
 */
export function applyEntryRule(
  state: RuleState,
  tracks: readonly Track[],
  zone: CrosswalkZone,
  context: RuleContext,
  options: RuleOptions,
): { state: RuleState; decisions: EntryDecision[] } {
  const next = new Map<number, TrackRuleState>();
  const decisions: EntryDecision[] = [];
  for (const track of tracks) {
    const prior = state.get(track.id) ?? { hasBeenOutside: false, isDecided: false };
    if (!track.isUpdated) {
      next.set(track.id, prior);
      continue;
    }
    const point = track.history[track.history.length - 1]!;
    const isInside = isInsidePolygon(feetPoint(point.box), zone.polygon);
    const { state: trackState, decided } = stepTrack(prior, point, isInside, context, options);
    next.set(track.id, trackState);
    if (decided) decisions.push({ ...decided, trackId: track.id, zoneId: zone.id });
  }
  return { state: next, decisions };
}
