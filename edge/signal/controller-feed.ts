import type { PinnedKey } from '../pinned-key.js';
import { addReport, readingFromTimeline } from './controller-timeline.js';
import type { Timeline, TimelineOptions } from './controller-timeline.js';
import { EMPTY_GATE, REFUSAL_REASONS, admitReport } from './report-gate.js';
import type { GateState, GateVerdict, RefusalReason } from './report-gate.js';
import type { SignalReading } from './signal.js';

export interface FeedOptions extends TimelineOptions {
  /** The controller's (or its bridge's) public key, pinned in the config. */
  readonly key: PinnedKey;
}

/** One controller feed as the device holds it. */
export interface FeedState {
  readonly gate: GateState;
  /** Accepted reports only. */
  readonly timeline: Timeline;
  /**
   * Device clock of the first and the last report refused for what it is (not for its time)
   * since the last accepted one; undefined when none was.
   */
  readonly unauthenticated: { readonly firstAtMs: number; readonly lastAtMs: number } | undefined;
}

export const EMPTY_FEED: FeedState = { gate: EMPTY_GATE, timeline: [], unauthenticated: undefined };

/** Refusals that say someone other than the controller is publishing (or replaying): all but timing. */
const UNAUTHENTICATED: ReadonlySet<RefusalReason> = new Set(
  REFUSAL_REASONS.filter((reason) => reason !== 'stale' && reason !== 'future'),
);

/**
 * Takes one message from the signal subject. An accepted report joins the timeline; a refused
 * one changes nothing the signal is read from. Reports are checked against a window of
 * `staleAfterMs` either side of the device clock. Pure.
 */
export function receiveReport(
  feed: FeedState,
  data: Uint8Array,
  options: FeedOptions,
  receivedAtMs: number,
): { feed: FeedState; verdict: GateVerdict } {
  const verdict = admitReport(
    feed.gate,
    data,
    { controllerId: options.controllerId, key: options.key, windowMs: options.staleAfterMs },
    receivedAtMs,
  );
  if (verdict.accepted) {
    const timeline = addReport(feed.timeline, verdict.report, options);
    return { feed: { gate: verdict.state, timeline, unauthenticated: undefined }, verdict };
  }
  const unauthenticated = UNAUTHENTICATED.has(verdict.reason)
    ? { firstAtMs: feed.unauthenticated?.firstAtMs ?? receivedAtMs, lastAtMs: receivedAtMs }
    : feed.unauthenticated;
  return { feed: { ...feed, gate: verdict.state, unauthenticated }, verdict };
}

/**
 * The signal at `atMs`, from accepted reports only. When it is stale while refused reports
 * were arriving around `atMs` (since the last accepted report, from `staleAfterMs` before the
 * first to `staleAfterMs` after the last: a frame is read a while after its capture), it says
 * so (`isUnauthenticated`). Pure.
 */
export function readingFromFeed(feed: FeedState, atMs: number, options: TimelineOptions): SignalReading {
  const reading = readingFromTimeline(feed.timeline, atMs, options);
  const refused = feed.unauthenticated;
  const isUnauthenticated =
    reading.isStale &&
    refused !== undefined &&
    atMs >= refused.firstAtMs - options.staleAfterMs &&
    atMs <= refused.lastAtMs + options.staleAfterMs;
  return isUnauthenticated ? { ...reading, isUnauthenticated } : reading;
}
