import type { SignalReading } from '../signal/signal.js';
import { suspensionReasons } from './enforcement.js';
import type { SuspensionReason } from './enforcement.js';
import type { Track, TrackPoint } from '../track/tracker.js';
import type { Point } from './geometry.js';
import { feetPoint, zoneSide } from './geometry.js';
import type { ZoneSide } from './geometry.js';

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
  /**
   * After a track has been inside, its feet must be out (beyond the band) at least this long
   * before coming back in counts as a new entry; a shorter excursion continues the old one.
   */
  readonly reentryOutsideMs: number;
  /**
   * Width of the band around the zone's outline (normalised units): feet in it are neither
   * an exit nor an entry, so jitter on the edge never makes a second entry.
   */
  readonly edgeHysteresis: number;
}

export const DEFAULT_RULE_OPTIONS: RuleOptions = {
  graceMs: 1000,
  minDwellMs: 400,
  reentryOutsideMs: 1000,
  edgeHysteresis: 0.02,
};

/** How the rule judged one entry into the zone. */
export type EntryOutcome = 'infraction' | 'lawful_walk' | 'lawful_flashing' | 'lawful_within_grace' | 'signal_dark';

/** A decided entry: the feet entered the zone and stayed for the minimum dwell. */
export interface EntryDecision {
  readonly trackId: number;
  readonly zoneId: string;
  /** 1 for the track's first decided entry, 2 for its second, and so on. */
  readonly entryNumber: number;
  readonly outcome: EntryOutcome;
  /**
   * When the approach to this entry began: the first observation out of the zone after the
   * track's previous stay inside, or the track's first observation. The box history of this
   * entry is the track's from here on.
   */
  readonly approachFromMs: number;
  /** First observation with the feet inside. */
  readonly entry: TrackPoint;
  /** The observation at which the dwell was satisfied. */
  readonly decidedAt: TrackPoint;
  /**
   * The signal when the feet entered, as known at the decision: a report of a change that
   * arrived after the entry frame (but by the decision) counts.
   */
  readonly signal: SignalReading;
  /** Non-empty when enforcement was suspended at the entry: the candidate is marked, not dropped. */
  readonly suspendedReasons: readonly SuspensionReason[];
}

/** What the rule reads about the world at an instant. */
export interface RuleContext {
  /** The signal at `atMs`, from every report received so far (an instant may be in the past). */
  signalAt(atMs: number): SignalReading;
  /** Whether the camera's view was obstructed at the frame being processed. */
  readonly isCameraObstructed: boolean;
}

interface PendingEntry {
  readonly point: TrackPoint;
  /** Whether the view was obstructed at the entry frame. */
  readonly isCameraObstructed: boolean;
}

/**
 * What the rule remembers per track between frames. `where` is latched with hysteresis:
 * "first_inside" for a track first seen inside (it has not entered), "inside" after an entry
 * (or a return too soon to be a new one), "outside" once the feet were beyond the band.
 */
interface TrackRuleState {
  readonly where: 'first_inside' | 'inside' | 'outside';
  /** While outside: when this outside stretch began. */
  readonly outsideSinceMs: number;
  /** True until the track has been inside: its first approach needs no minimum time outside. */
  readonly isFirstApproach: boolean;
  /** Feet seen inside while outside, waiting for the dwell. */
  readonly pending?: PendingEntry;
  /** Entries decided so far. */
  readonly entries: number;
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

type Step = { state: TrackRuleState; decided?: Omit<EntryDecision, 'trackId' | 'zoneId'> };

/** The state for a track's first observation. */
function firstState(side: ZoneSide, atMs: number): TrackRuleState {
  return side === 'in'
    ? { where: 'first_inside', outsideSinceMs: atMs, isFirstApproach: false, entries: 0 }
    : { where: 'outside', outsideSinceMs: atMs, isFirstApproach: true, entries: 0 };
}

function stepOutside(
  prior: TrackRuleState,
  point: TrackPoint,
  side: ZoneSide,
  context: RuleContext,
  options: RuleOptions,
): Step {
  const atMs = point.capturedAtMs;
  if (side === 'out') return { state: { ...prior, pending: undefined } };
  if (side === 'band') return { state: prior };
  let pending = prior.pending;
  if (!pending) {
    const isNewEntry = prior.isFirstApproach || atMs - prior.outsideSinceMs >= options.reentryOutsideMs;
    // Back too soon: the excursion was jitter or a step aside; the old stay goes on.
    if (!isNewEntry) return { state: { ...prior, where: 'inside' } };
    pending = { point, isCameraObstructed: context.isCameraObstructed };
  }
  if (atMs - pending.point.capturedAtMs < options.minDwellMs) return { state: { ...prior, pending } };
  const entries = prior.entries + 1;
  // The entry instant's signal is read now, at the decision, so a report of a phase change
  // that arrived after the entry frame (a slow network, a busy device) still counts.
  const signal = context.signalAt(pending.point.capturedAtMs);
  return {
    state: { where: 'inside', outsideSinceMs: prior.outsideSinceMs, isFirstApproach: false, entries },
    decided: {
      entryNumber: entries,
      outcome: classifyEntry(signal, options.graceMs),
      approachFromMs: prior.outsideSinceMs,
      entry: pending.point,
      decidedAt: point,
      signal,
      suspendedReasons: suspensionReasons(signal, pending.isCameraObstructed),
    },
  };
}

/** One updated observation of a track. */
function stepTrack(
  prior: TrackRuleState | undefined,
  point: TrackPoint,
  side: ZoneSide,
  context: RuleContext,
  options: RuleOptions,
): Step {
  const atMs = point.capturedAtMs;
  const state = prior ?? firstState(side, atMs);
  if (state.where === 'outside') return stepOutside(state, point, side, context, options);
  // Inside (or first seen inside): only feet beyond the band leave.
  if (side !== 'out') return { state };
  return { state: { ...state, where: 'outside', outsideSinceMs: atMs, isFirstApproach: false, pending: undefined } };
}

/**
 * Advances the entry rule by one frame for every updated track. An entry is the feet point
 * crossing from outside to inside the zone and staying for `minDwellMs`; a track first seen
 * inside has not entered. Every entry of a track is decided on its own: after a stay inside,
 * the feet must be beyond the hysteresis band around the outline for at least
 * `reentryOutsideMs` before coming back counts as a new entry, so jitter on the edge never
 * makes a second one. A lost track keeps its state until the tracker drops it. The signal at
 * the entry instant is read at the decision, from every report received by then. Suspension
 * (a stale signal, an obstructed view, an unsynced clock) at the entry marks the decision.
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
    const prior = state.get(track.id);
    if (!track.isUpdated) {
      if (prior) next.set(track.id, prior);
      continue;
    }
    const point = track.history[track.history.length - 1]!;
    const side = zoneSide(feetPoint(point.box), zone.polygon, options.edgeHysteresis);
    const { state: trackState, decided } = stepTrack(prior, point, side, context, options);
    next.set(track.id, trackState);
    if (decided) decisions.push({ ...decided, trackId: track.id, zoneId: zone.id });
  }
  return { state: next, decisions };
}
