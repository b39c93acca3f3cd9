import type { ClockReading, SignalAspect, SignalReading } from './signal.js';

/** One phase report as the device received it. */
export interface ReceivedReport {
  readonly aspect: SignalAspect;
  /** Controller clock. */
  readonly stateBeganAtMs: number;
  /** Controller clock. */
  readonly sentAtMs: number;
  /** Device clock. */
  readonly receivedAtMs: number;
}

export interface TimelineOptions {
  readonly controllerId: string;
  /** A reading is stale when no report arrived within this long before it. */
  readonly staleAfterMs: number;
  /** The clock is unsynced when device minus controller time exceeds this (either way). */
  readonly maxClockOffsetMs: number;
  /** Reports older than this (device clock) are forgotten. */
  readonly keepMs: number;
}

/** Reports in arrival order; the newest last. */
export type Timeline = readonly ReceivedReport[];

/** Adds a report and forgets the ones older than `keepMs`, but always keeps the newest two. Pure. */
export function addReport(timeline: Timeline, report: ReceivedReport, options: TimelineOptions): Timeline {
  const all = [...timeline, report];
  const cutoff = report.receivedAtMs - options.keepMs;
  const firstKept = all.findIndex((r) => r.receivedAtMs >= cutoff);
  return all.slice(Math.max(0, Math.min(firstKept === -1 ? all.length : firstKept, all.length - 2)));
}

function clockOf(report: ReceivedReport | undefined, options: TimelineOptions): ClockReading {
  if (!report) return { state: 'unknown', offsetMs: 0, reference: `controller:${options.controllerId}` };
  const offsetMs = report.receivedAtMs - report.sentAtMs;
  return {
    state: Math.abs(offsetMs) > options.maxClockOffsetMs ? 'unsynced' : 'synced',
    offsetMs,
    reference: `controller:${options.controllerId}`,
  };
}

/**
 * The signal at `atMs` (device clock): the state that began last at or before `atMs`, from
 * every report held (a report of a change may arrive just after the change). Stale when the
 * newest report received by `atMs` is older than `staleAfterMs`, or there is none; with no
 * report at all the aspect is "dark". Pure.
 */
export function readingFromTimeline(timeline: Timeline, atMs: number, options: TimelineOptions): SignalReading {
  const known = timeline.filter((r) => r.receivedAtMs <= atMs);
  const latest = known[known.length - 1];
  let current: ReceivedReport | undefined;
  for (const r of timeline)
    if (r.stateBeganAtMs <= atMs && (!current || r.stateBeganAtMs >= current.stateBeganAtMs)) current = r;
  const isStale = !latest || atMs - latest.receivedAtMs > options.staleAfterMs;
  const aspect = current?.aspect ?? 'dark';
  const beganAtMs = current?.stateBeganAtMs ?? atMs;
  return {
    aspect,
    aspectBeganAtMs: beganAtMs,
    msSinceSteadyDontWalk: aspect === 'steady_dont_walk' ? atMs - beganAtMs : 0,
    source: 'controller_feed',
    sourceId: options.controllerId,
    readAtMs: latest?.receivedAtMs ?? 0,
    isStale,
    clock: clockOf(latest, options),
  };
}
