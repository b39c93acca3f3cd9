import type { Detection, NormBox } from '../detect/detection.js';
import { iou } from '../detect/detection.js';

/** One observation of a track. */
export interface TrackPoint {
  readonly capturedAtMs: number;
  readonly box: NormBox;
  readonly score: number;
}

/** A track as the tracker returns it after an update. */
export interface Track {
  /** Per camera, starting at 1; never reused while the tracker lives, never shared across cameras. */
  readonly id: number;
  readonly history: readonly TrackPoint[];
  /** True when this update matched a detection to the track. */
  readonly isUpdated: boolean;
}

export interface TrackerOptions {
  /** Minimum overlap for a detection to continue a track. */
  readonly minIou: number;
  /** A track not matched for this long is dropped. */
  readonly maxLostMs: number;
  /** At most this many observations are kept per track. */
  readonly maxHistory: number;
}

export interface TrackerState {
  readonly nextId: number;
  readonly tracks: readonly Track[];
}

export const EMPTY_TRACKER: TrackerState = { nextId: 1, tracks: [] };

function lastBox(track: Track): NormBox {
  return track.history[track.history.length - 1]!.box;
}

/**
 * Greedy IoU association: pairs are taken best-overlap first; unmatched detections start
 * tracks, unmatched tracks age out after `maxLostMs`. Pure: returns a new state.
 * (The edge issue replaces this with ByteTrack-style two-stage association.)
 */
export function updateTracker(
  state: TrackerState,
  detections: readonly Detection[],
  capturedAtMs: number,
  options: TrackerOptions,
): TrackerState {
  const pairs: { t: number; d: number; overlap: number }[] = [];
  state.tracks.forEach((track, t) =>
    detections.forEach((det, d) => {
      const overlap = iou(lastBox(track), det.box);
      if (overlap >= options.minIou) pairs.push({ t, d, overlap });
    }),
  );
  pairs.sort((a, b) => b.overlap - a.overlap);
  const trackOf = new Map<number, number>();
  const usedDetections = new Set<number>();
  for (const { t, d } of pairs) {
    if (trackOf.has(t) || usedDetections.has(d)) continue;
    trackOf.set(t, d);
    usedDetections.add(d);
  }
  const tracks: Track[] = [];
  state.tracks.forEach((track, t) => {
    const d = trackOf.get(t);
    if (d === undefined) {
      const lastSeenMs = track.history[track.history.length - 1]!.capturedAtMs;
      if (capturedAtMs - lastSeenMs <= options.maxLostMs) tracks.push({ ...track, isUpdated: false });
      return;
    }
    const det = detections[d]!;
    const history = [...track.history, { capturedAtMs, box: det.box, score: det.score }].slice(-options.maxHistory);
    tracks.push({ id: track.id, history, isUpdated: true });
  });
  let nextId = state.nextId;
  detections.forEach((det, d) => {
    if (usedDetections.has(d)) return;
    tracks.push({ id: nextId++, history: [{ capturedAtMs, box: det.box, score: det.score }], isUpdated: true });
  });
  return { nextId, tracks };
}
