import type { SignalReading } from '../signal/signal.js';

/** Why a camera's enforcement is suspended. Candidates are then marked, never dropped. */
export type SuspensionReason = 'signal_stale' | 'signal_unauthenticated' | 'camera_obstructed' | 'clock_unsynced';

/** The suspension reasons at one instant, in a fixed order. Pure. */
export function suspensionReasons(signal: SignalReading, isCameraObstructed: boolean): SuspensionReason[] {
  const reasons: SuspensionReason[] = [];
  if (signal.isStale) reasons.push('signal_stale');
  // Only with signal_stale, after it: a refused report never changes the decision, it says why.
  if (signal.isStale && signal.isUnauthenticated === true) reasons.push('signal_unauthenticated');
  if (isCameraObstructed) reasons.push('camera_obstructed');
  if (signal.clock.state === 'unsynced') reasons.push('clock_unsynced');
  return reasons;
}

export interface ObstructionOptions {
  /** A view whose luma spread stays below this (0-255) looks covered, black or washed out. */
  readonly maxLumaStddev: number;
  /** For at least this long before the camera counts as obstructed. */
  readonly afterMs: number;
}

/** When the view last turned flat; undefined while it shows a scene. */
export interface ObstructionState {
  readonly flatSinceMs: number | undefined;
}

/** Advances the obstruction check by one frame's luma spread. Pure. */
export function updateObstruction(
  state: ObstructionState,
  lumaStddev: number,
  atMs: number,
  options: ObstructionOptions,
): { state: ObstructionState; isObstructed: boolean } {
  if (lumaStddev >= options.maxLumaStddev) return { state: { flatSinceMs: undefined }, isObstructed: false };
  const flatSinceMs = state.flatSinceMs ?? atMs;
  return { state: { flatSinceMs }, isObstructed: atMs - flatSinceMs >= options.afterMs };
}
