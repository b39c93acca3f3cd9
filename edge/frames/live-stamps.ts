/**
 * Capture times of a live stream's frames. ffmpeg's fps filter makes the output constant rate
 * on the stream's own timestamps, so frame `index` lies `index / fps` after the first frame on
 * the camera's timeline. That timeline, anchored at the device clock when the first frame
 * arrived, gives each frame its time: frames that arrive in a burst (ffmpeg buffers its
 * analysis second, a consumer that fell behind drains the pipe) keep their real spacing. When
 * the timeline and the arrivals part by more than `maxDriftMs` (a camera clock that runs fast
 * or slow, frames the camera skipped), the anchor moves to the arrival. Pure.
 */

export interface LiveStampState {
  /** Device clock at which the timeline starts (frame 0); undefined before the first frame. */
  readonly anchorMs: number | undefined;
}

export const LIVE_STAMPS_START: LiveStampState = { anchorMs: undefined };

export interface LiveStampInput {
  readonly index: number;
  readonly fps: number;
  /** Device clock when the frame had fully arrived. */
  readonly arrivedAtMs: number;
  /**
   * True when the frame waited for the consumer (arrivals are late because of us, not the
   * camera): a timeline behind the arrivals is then expected, not drift.
   */
  readonly isBackedUp: boolean;
  readonly maxDriftMs: number;
}

export function stampLiveFrame(
  state: LiveStampState,
  input: LiveStampInput,
): { state: LiveStampState; capturedAtMs: number; reanchored: boolean } {
  const onTimelineMs = Math.round((input.index * 1000) / input.fps);
  const fresh = input.arrivedAtMs - onTimelineMs;
  if (state.anchorMs === undefined)
    return { state: { anchorMs: fresh }, capturedAtMs: input.arrivedAtMs, reanchored: false };
  const capturedAtMs = state.anchorMs + onTimelineMs;
  const aheadMs = capturedAtMs - input.arrivedAtMs;
  if (aheadMs > input.maxDriftMs || (-aheadMs > input.maxDriftMs && !input.isBackedUp))
    return { state: { anchorMs: fresh }, capturedAtMs: input.arrivedAtMs, reanchored: true };
  return { state, capturedAtMs, reanchored: false };
}
