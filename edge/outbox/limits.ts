/** What the site outbox must hold through the promised outage. */
export interface OutboxSizing {
  readonly promisedOutageHours: number;
  readonly peakEventsPerHour: number;
  readonly eventBytes: number;
  readonly evidenceBytesPerEvent: number;
}

export interface OutboxLimits {
  /** The EDGE stream: events plus each camera's hourly tallies. */
  readonly eventsMaxBytes: number;
  /** The evidence object store. */
  readonly evidenceMaxBytes: number;
  /** Events the outbox is sized for. */
  readonly events: number;
}

/** Room for one tally message; a camera publishes its hour's counts a few times an hour. */
const TALLY_BYTES = 4_096;
const TALLIES_PER_CAMERA_HOUR = 12;

/** Sizes the outbox for the outage: peak events over the whole outage, plus every camera's tallies. Pure. */
export function outboxLimits(sizing: OutboxSizing, cameraCount: number): OutboxLimits {
  const events = Math.ceil(sizing.promisedOutageHours * sizing.peakEventsPerHour);
  const tallyBytes = Math.ceil(sizing.promisedOutageHours * cameraCount * TALLIES_PER_CAMERA_HOUR * TALLY_BYTES);
  return {
    events,
    eventsMaxBytes: events * sizing.eventBytes + tallyBytes,
    evidenceMaxBytes: events * sizing.evidenceBytesPerEvent,
  };
}
