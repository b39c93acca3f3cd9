import type { EntryDecision } from '../rule/entry-rule.js';
import type { Track } from '../track/tracker.js';

const HOUR_MS = 3_600_000;

/**
 * The reason code of a decided candidate: "infraction" for one sent for review; otherwise why
 * the machine rejected it (a lawful outcome, or "suspended_<reason>" when enforcement was off).
 */
export function candidateReason(decision: EntryDecision): string {
  if (decision.suspendedReasons.length > 0) return `suspended_${decision.suspendedReasons[0]!}`;
  return decision.outcome;
}

/** Counts per hour and reason of the candidates the machine rejected. Pure. */
export type Tallies = ReadonlyMap<number, ReadonlyMap<string, number>>;

export function hourStartMs(atMs: number): number {
  return Math.floor(atMs / HOUR_MS) * HOUR_MS;
}

export function addToTallies(tallies: Tallies, atMs: number, reason: string): Tallies {
  const hour = hourStartMs(atMs);
  const counts = new Map(tallies.get(hour) ?? []);
  counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return new Map(tallies).set(hour, counts);
}

/**
 * The track as one entry's event carries it: its observations from the approach to this entry
 * on (not those of the track's earlier entries), up to the decision. Pure.
 */
export function trackOfEntry(track: Track, decision: EntryDecision): Track {
  return {
    ...track,
    history: track.history.filter(
      (p) => p.capturedAtMs >= decision.approachFromMs && p.capturedAtMs <= decision.decidedAt.capturedAtMs,
    ),
  };
}
