/** Which frames become evidence for one entry: keyframes by role, and the clip. Pure. */

export interface EvidenceWindow {
  /** The clip starts this long before the entry. */
  readonly clipBeforeMs: number;
  /** The clip ends this long after the entry. */
  readonly clipAfterMs: number;
  /** The "before" keyframe is taken this long before the entry, the "after" keyframe this long after. */
  readonly keyframeOffsetMs: number;
}

export interface EvidencePlan {
  readonly keyframes: readonly { readonly role: 'before' | 'entry' | 'decision' | 'after'; readonly atMs: number }[];
  /** Capture times of the clip's frames, oldest first. */
  readonly clip: readonly number[];
}

function closest(times: readonly number[], targetMs: number): number | undefined {
  let best: number | undefined;
  for (const t of times) if (best === undefined || Math.abs(t - targetMs) < Math.abs(best - targetMs)) best = t;
  return best;
}

/**
 * Plans evidence from the capture times held for one entry. The entry and decision frames
 * are the exact frames the rule used; "before" and "after" are the held frames closest to
 * their offsets, dropped when they would repeat the entry or decision frame.
 */
export function planEvidence(
  heldTimesMs: readonly number[],
  entryMs: number,
  decidedMs: number,
  window: EvidenceWindow,
): EvidencePlan {
  const clip = heldTimesMs
    .filter((t) => t >= entryMs - window.clipBeforeMs && t <= entryMs + window.clipAfterMs)
    .sort((a, b) => a - b);
  const keyframes: { role: 'before' | 'entry' | 'decision' | 'after'; atMs: number }[] = [];
  const before = closest(
    clip.filter((t) => t < entryMs),
    entryMs - window.keyframeOffsetMs,
  );
  if (before !== undefined) keyframes.push({ role: 'before', atMs: before });
  if (heldTimesMs.includes(entryMs)) keyframes.push({ role: 'entry', atMs: entryMs });
  if (decidedMs !== entryMs && heldTimesMs.includes(decidedMs)) keyframes.push({ role: 'decision', atMs: decidedMs });
  const after = closest(
    clip.filter((t) => t > decidedMs),
    entryMs + window.keyframeOffsetMs,
  );
  if (after !== undefined) keyframes.push({ role: 'after', atMs: after });
  return { keyframes, clip };
}

/** True once frames up to the clip's end have been seen. */
export function isWindowComplete(latestCapturedAtMs: number, entryMs: number, window: EvidenceWindow): boolean {
  return latestCapturedAtMs >= entryMs + window.clipAfterMs;
}

/**
 * True when the frame at `i` of `heldTimesMs` (sorted, oldest first) is one of the keyframes
 * {@link planEvidence} will pick, knowing the held frames only up to `i + 1`: the distance to a
 * keyframe's target falls, then rises, so the next frame settles it. Pure.
 */
export function isPlannedKeyframe(
  heldTimesMs: readonly number[],
  i: number,
  entryMs: number,
  decidedMs: number,
  window: EvidenceWindow,
): boolean {
  const t = heldTimesMs[i];
  if (t === undefined) return false;
  if (t === entryMs || t === decidedMs) return true;
  const inClip = (v: number): boolean => v >= entryMs - window.clipBeforeMs && v <= entryMs + window.clipAfterMs;
  const closestOf = (eligible: (v: number) => boolean, target: number): boolean => {
    if (!inClip(t) || !eligible(t)) return false;
    const prev = heldTimesMs[i - 1];
    const next = heldTimesMs[i + 1];
    const d = Math.abs(t - target);
    const prevCloser = prev !== undefined && inClip(prev) && eligible(prev) && Math.abs(prev - target) <= d;
    const nextCloser = next !== undefined && inClip(next) && eligible(next) && Math.abs(next - target) < d;
    return !prevCloser && !nextCloser;
  };
  return (
    closestOf((v) => v < entryMs, entryMs - window.keyframeOffsetMs) ||
    closestOf((v) => v > decidedMs, entryMs + window.keyframeOffsetMs)
  );
}
