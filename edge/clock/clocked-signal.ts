import type { ClockReading, SignalReading, SignalSource } from '../signal/signal.js';
import type { SystemClockStatus } from './parse.js';

/**
 * The clock a decision is made with: the device clock against the controller's timestamps
 * (`clock`), and the system's own synchronisation. Not synced by the system (unsynced, or no
 * time daemon to say) makes it unsynced, which suspends enforcement (rule: "the clock is not
 * synced"); the reference names both, so an event says why. Pure.
 */
export function withSystemClock(clock: ClockReading, system: SystemClockStatus): ClockReading {
  const reference = [clock.reference, `system ${system.detail}`].filter(Boolean).join('; ');
  if (system.state === 'synced') return { ...clock, reference };
  return { state: 'unsynced', offsetMs: clock.offsetMs, reference };
}

/** A signal source whose readings carry the system clock's state too. */
export class ClockedSignalSource implements SignalSource {
  readonly #inner: SignalSource;
  readonly #system: () => SystemClockStatus;

  constructor(inner: SignalSource, system: () => SystemClockStatus) {
    this.#inner = inner;
    this.#system = system;
  }

  readingAt(atMs: number): SignalReading {
    const reading = this.#inner.readingAt(atMs);
    return { ...reading, clock: withSystemClock(reading.clock, this.#system()) };
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
