import type { Detection, NormBox } from '../detect/detection.js';
import { iou } from '../detect/detection.js';

/** One observation of a track. */
export interface TrackPoint {
  readonly capturedAtMs: number;
  readonly box: NormBox;
  readonly score: number;
}

/** Box change per millisecond: centre and size, normalised units. */
export interface BoxVelocity {
  readonly cxPerMs: number;
  readonly cyPerMs: number;
  readonly wPerMs: number;
  readonly hPerMs: number;
}

/** A track as the tracker returns it after an update. */
export interface Track {
  /** Per camera, starting at 1; never reused while the tracker lives, never shared across cameras. */
  readonly id: number;
  readonly history: readonly TrackPoint[];
  /** True when this update matched a detection to the track. */
  readonly isUpdated: boolean;
  /** The motion model's estimate, used to predict the box while the track is not seen. */
  readonly velocity: BoxVelocity;
}

export interface TrackerOptions {
  /** Detections at or above this score are matched first and may start tracks (ByteTrack's high set). */
  readonly highScore: number;
  /** Minimum overlap with the predicted box for a high-score detection to continue a track. */
  readonly minIou: number;
  /** Minimum overlap for a low-score detection to continue a track left unmatched by the first stage. */
  readonly minIouLow: number;
  /** A track not matched for this long is dropped. */
  readonly maxLostMs: number;
  /** At most this many observations are kept per track. */
  readonly maxHistory: number;
  /**
   * Identity switch, position: a box whose centre is further from the motion model's
   * prediction than `switchShiftBoxes + switchShiftBoxesPerS × gap in s` (in predicted box
   * widths across and heights down) is another person: it does not continue the track.
   * Checked once the track has a velocity (from its third observation).
   */
  readonly switchShiftBoxes: number;
  readonly switchShiftBoxesPerS: number;
  /** Identity switch, size: a box whose area differs from the track's last box by more than this factor. */
  readonly switchAreaRatio: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  highScore: 0.5,
  minIou: 0.2,
  minIouLow: 0.4,
  maxLostMs: 1500,
  maxHistory: 100,
  switchShiftBoxes: 0.25,
  switchShiftBoxesPerS: 1,
  switchAreaRatio: 2.5,
};

export interface TrackerState {
  readonly nextId: number;
  readonly tracks: readonly Track[];
  /** Matches refused so far because the box jumped (identity switches split off), for counters. */
  readonly switchesRefused: number;
}

export const EMPTY_TRACKER: TrackerState = { nextId: 1, tracks: [], switchesRefused: 0 };

const STILL: BoxVelocity = { cxPerMs: 0, cyPerMs: 0, wPerMs: 0, hPerMs: 0 };
/** Weight of the newest displacement in the velocity estimate (alpha-beta filter). */
const VELOCITY_GAIN = 0.5;
/** Predictions never extrapolate further than this, so a long-lost track does not fly off. */
const MAX_PREDICT_MS = 1000;

function lastPoint(track: Track): TrackPoint {
  return track.history[track.history.length - 1]!;
}

const centre = (b: NormBox): { cx: number; cy: number; w: number; h: number } => ({
  cx: (b.x1 + b.x2) / 2,
  cy: (b.y1 + b.y2) / 2,
  w: b.x2 - b.x1,
  h: b.y2 - b.y1,
});

/** Where the motion model puts the track's box at `atMs`. Pure. */
export function predictBox(track: Track, atMs: number): NormBox {
  const last = lastPoint(track);
  const dt = Math.min(MAX_PREDICT_MS, Math.max(0, atMs - last.capturedAtMs));
  const c = centre(last.box);
  const v = track.velocity;
  const w = Math.max(1e-4, c.w + v.wPerMs * dt);
  const h = Math.max(1e-4, c.h + v.hPerMs * dt);
  const cx = c.cx + v.cxPerMs * dt;
  const cy = c.cy + v.cyPerMs * dt;
  return { x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2 };
}

function updatedVelocity(track: Track, box: NormBox, atMs: number): BoxVelocity {
  const last = lastPoint(track);
  const dt = atMs - last.capturedAtMs;
  if (dt <= 0) return track.velocity;
  const a = centre(last.box);
  const b = centre(box);
  const blend = (old: number, observed: number): number => old + VELOCITY_GAIN * (observed - old);
  const v = track.velocity;
  return {
    cxPerMs: blend(v.cxPerMs, (b.cx - a.cx) / dt),
    cyPerMs: blend(v.cyPerMs, (b.cy - a.cy) / dt),
    wPerMs: blend(v.wPerMs, (b.w - a.w) / dt),
    hPerMs: blend(v.hPerMs, (b.h - a.h) / dt),
  };
}

/** Observations a track needs before its velocity is trusted for the position check. */
const MIN_HISTORY_FOR_SHIFT = 3;

/**
 * Whether `box` is consistent with the track's motion model at `atMs`, given its `predicted`
 * box: its centre not further from the prediction than the gap allows, its area within the
 * ratio of the track's last box (not the predicted size: extrapolating a noisy size over a
 * gap would split tracks). Geometry and motion only: nothing about how the person looks. Pure.
 */
export function isConsistentMove(
  track: Track,
  predicted: NormBox,
  box: NormBox,
  atMs: number,
  options: TrackerOptions,
): boolean {
  const p = centre(predicted);
  const b = centre(box);
  const last = centre(lastPoint(track).box);
  const areaRatio = (b.w * b.h) / (last.w * last.h);
  if (!(areaRatio <= options.switchAreaRatio && areaRatio >= 1 / options.switchAreaRatio)) return false;
  if (track.history.length < MIN_HISTORY_FOR_SHIFT) return true;
  const gapS = Math.max(0, atMs - lastPoint(track).capturedAtMs) / 1000;
  const shiftBoxes = Math.hypot((b.cx - p.cx) / p.w, (b.cy - p.cy) / p.h);
  return shiftBoxes <= options.switchShiftBoxes + options.switchShiftBoxesPerS * gapS;
}

interface Association {
  readonly matched: Map<number, number>;
  /** Tracks that overlapped a box enough but were refused it as a jump. */
  readonly jumped: ReadonlySet<number>;
}

/** Greedy association over the given track and detection indices: most recently seen tracks first, then best overlap. */
function associate(
  predicted: readonly NormBox[],
  trackIdx: readonly number[],
  detections: readonly Detection[],
  detIdx: readonly number[],
  minIou: number,
  isConsistent: (t: number, d: number) => boolean,
  lastSeenMs: readonly number[],
): Association {
  const pairs: { t: number; d: number; overlap: number }[] = [];
  const jumped = new Set<number>();
  for (const t of trackIdx)
    for (const d of detIdx) {
      const overlap = iou(predicted[t]!, detections[d]!.box);
      if (overlap < minIou) continue;
      if (isConsistent(t, d)) pairs.push({ t, d, overlap });
      else jumped.add(t);
    }
  // A matching cascade: tracks seen most recently choose first, each its best overlap, so a
  // lost track's prediction (held still after MAX_PREDICT_MS) never takes the box of a person
  // another track follows now.
  pairs.sort((a, b) => lastSeenMs[b.t]! - lastSeenMs[a.t]! || b.overlap - a.overlap || a.t - b.t || a.d - b.d);
  const matched = new Map<number, number>();
  const usedDetections = new Set<number>();
  for (const { t, d } of pairs) {
    if (matched.has(t) || usedDetections.has(d)) continue;
    matched.set(t, d);
    usedDetections.add(d);
  }
  return { matched, jumped };
}

/**
 * ByteTrack-style two-stage association with a constant-velocity motion model. Stage one
 * matches high-score detections to every track's predicted box; stage two gives the tracks
 * still unmatched a chance at the low-score detections (people half hidden, motion blur).
 * A box that overlaps the prediction but jumped (see `isConsistentMove`) never continues the
 * track: the identity would pass to another person. The track goes on unmatched (lost) and
 * the box, if high-score, starts a new track, so the new person is decided on their own.
 * Only unmatched high-score detections start tracks, so low-score noise never does. A track
 * unmatched for longer than `maxLostMs` is dropped, and its id is never reused.
 * Pure: returns a new state.
 */
export function updateTracker(
  state: TrackerState,
  detections: readonly Detection[],
  capturedAtMs: number,
  options: TrackerOptions,
): TrackerState {
  const predicted = state.tracks.map((t) => predictBox(t, capturedAtMs));
  const allTracks = state.tracks.map((_, i) => i);
  const high = detections.flatMap((d, i) => (d.score >= options.highScore ? [i] : []));
  const low = detections.flatMap((d, i) => (d.score < options.highScore ? [i] : []));
  const isConsistent = (t: number, d: number): boolean =>
    isConsistentMove(state.tracks[t]!, predicted[t]!, detections[d]!.box, capturedAtMs, options);
  const lastSeenMs = state.tracks.map((t) => lastPoint(t).capturedAtMs);
  const first = associate(predicted, allTracks, detections, high, options.minIou, isConsistent, lastSeenMs);
  const rest = allTracks.filter((t) => !first.matched.has(t));
  const second = associate(predicted, rest, detections, low, options.minIouLow, isConsistent, lastSeenMs);
  const detOf = new Map([...first.matched, ...second.matched]);

  const tracks: Track[] = [];
  state.tracks.forEach((track, t) => {
    const d = detOf.get(t);
    if (d === undefined) {
      if (capturedAtMs - lastPoint(track).capturedAtMs <= options.maxLostMs)
        tracks.push({ ...track, isUpdated: false });
      return;
    }
    const det = detections[d]!;
    const history = [...track.history, { capturedAtMs, box: det.box, score: det.score }].slice(-options.maxHistory);
    tracks.push({ id: track.id, history, isUpdated: true, velocity: updatedVelocity(track, det.box, capturedAtMs) });
  });
  const used = new Set(detOf.values());
  let nextId = state.nextId;
  for (const d of high) {
    if (used.has(d)) continue;
    const det = detections[d]!;
    tracks.push({
      id: nextId++,
      history: [{ capturedAtMs, box: det.box, score: det.score }],
      isUpdated: true,
      velocity: STILL,
    });
  }
  // A refusal counts when the track then found no consistent box at all.
  const refused = new Set([...first.jumped, ...second.jumped].filter((t) => !detOf.has(t)));
  return { nextId, tracks, switchesRefused: state.switchesRefused + refused.size };
}

/** The boxes to mask in a frame: each updated track's detection and each lost track's prediction. */
export function trackBoxesAt(state: TrackerState, atMs: number): NormBox[] {
  return state.tracks.map((t) => (t.isUpdated ? lastPoint(t).box : predictBox(t, atMs)));
}

/** Speed of the track's box centre, in frame widths/heights per second. */
export function speedPerS(track: Track): number {
  return Math.hypot(track.velocity.cxPerMs, track.velocity.cyPerMs) * 1000;
}

/** Tracks that keep the detector running: lost ones, and those moving at least `minSpeedPerS`. */
export function activeTrackCount(state: TrackerState, minSpeedPerS: number): number {
  return state.tracks.filter((t) => !t.isUpdated || speedPerS(t) >= minSpeedPerS).length;
}
