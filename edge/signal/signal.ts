/** Pedestrian signal aspects. */
export type SignalAspect = 'walk' | 'flashing_dont_walk' | 'steady_dont_walk' | 'dark';

/** The signal at one instant. */
export interface SignalReading {
  readonly aspect: SignalAspect;
  /** When the current aspect began (Unix epoch ms). */
  readonly aspectBeganAtMs: number;
  /** Milliseconds since steady DON'T WALK began; 0 when the aspect is not steady DON'T WALK. */
  readonly msSinceSteadyDontWalk: number;
  readonly source: 'schedule_file' | 'controller_feed';
  readonly sourceId: string;
  /** When the reading was taken (Unix epoch ms). */
  readonly readAtMs: number;
}

/** Where the edge learns the signal phase. */
export interface SignalSource {
  readingAt(atMs: number): SignalReading;
}
