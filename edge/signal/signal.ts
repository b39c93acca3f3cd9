/** Pedestrian signal aspects. */
export type SignalAspect = 'walk' | 'flashing_dont_walk' | 'steady_dont_walk' | 'dark';

/** How the device clock compares with the signal's reference clock. */
export interface ClockReading {
  readonly state: 'synced' | 'unsynced' | 'unknown';
  /** Device clock minus reference clock (ms); 0 when unknown. */
  readonly offsetMs: number;
  /** What the clock was compared with, e.g. "controller:ctl-1"; empty when unknown. */
  readonly reference: string;
}

/** The signal at one instant. */
export interface SignalReading {
  readonly aspect: SignalAspect;
  /** When the current aspect began (Unix epoch ms). */
  readonly aspectBeganAtMs: number;
  /** Milliseconds since steady DON'T WALK began; 0 when the aspect is not steady DON'T WALK. */
  readonly msSinceSteadyDontWalk: number;
  readonly source: 'schedule_file' | 'controller_feed';
  readonly sourceId: string;
  /** When the source last gave a reading, as of this instant (Unix epoch ms). */
  readonly readAtMs: number;
  /** True when the feed had gone quiet for longer than allowed: enforcement is suspended. */
  readonly isStale: boolean;
  /**
   * True when the feed is stale while reports that failed authentication (wrong key, bad
   * signature, replayed) kept arriving: someone other than the controller is publishing.
   */
  readonly isUnauthenticated?: boolean;
  readonly clock: ClockReading;
}

/** Where the edge learns the signal phase. */
export interface SignalSource {
  readingAt(atMs: number): SignalReading;
  /** Stops listening; safe to call twice. */
  close(): Promise<void>;
}

export const UNKNOWN_CLOCK: ClockReading = { state: 'unknown', offsetMs: 0, reference: '' };
