import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { SignalPhaseReport, SignalState, signalSubject } from '../../proto/index.js';
import type { Logger } from '../logger.js';
import { addReport, readingFromTimeline } from './controller-timeline.js';
import type { Timeline, TimelineOptions } from './controller-timeline.js';
import type { SignalAspect, SignalReading, SignalSource } from './signal.js';

const ASPECTS: Partial<Record<SignalState, SignalAspect>> = {
  [SignalState.SIGNAL_STATE_WALK]: 'walk',
  [SignalState.SIGNAL_STATE_FLASHING_DONT_WALK]: 'flashing_dont_walk',
  [SignalState.SIGNAL_STATE_STEADY_DONT_WALK]: 'steady_dont_walk',
  [SignalState.SIGNAL_STATE_DARK]: 'dark',
};

/**
 * The live signal from a controller feed: phase reports on `zebra.v1.signal.<site>.<controller>`
 * on the site's NATS. A malformed report is counted and logged, never applied.
 */
export class ControllerSignalSource implements SignalSource {
  readonly #options: TimelineOptions;
  readonly #subscription: Subscription;
  #timeline: Timeline = [];
  #malformed = 0;

  private constructor(subscription: Subscription, options: TimelineOptions) {
    this.#subscription = subscription;
    this.#options = options;
  }

  static subscribe(
    nc: NatsConnection,
    siteId: string,
    options: TimelineOptions,
    logger: Logger,
    now: () => number = Date.now,
  ): ControllerSignalSource {
    let source: ControllerSignalSource | undefined = undefined;
    const subscription = nc.subscribe(signalSubject(siteId, options.controllerId), {
      callback: (err, msg) => {
        if (err || !source) return;
        const receivedAtMs = now();
        let report: SignalPhaseReport;
        try {
          report = SignalPhaseReport.decode(msg.data);
        } catch (decodeErr) {
          source.#malformed += 1;
          logger.warn({ err: decodeErr, subject: msg.subject }, 'signal report ignored: not a SignalPhaseReport');
          return;
        }
        const aspect = ASPECTS[report.state];
        if (!aspect || report.controllerId !== options.controllerId) {
          source.#malformed += 1;
          logger.warn(
            { state: report.state, controllerId: report.controllerId },
            'signal report ignored: bad state or controller',
          );
          return;
        }
        source.#timeline = addReport(
          source.#timeline,
          { aspect, stateBeganAtMs: report.stateBeganAtMs, sentAtMs: report.sentAtMs, receivedAtMs },
          options,
        );
      },
    });
    source = new ControllerSignalSource(subscription, options);
    return source;
  }

  /** Reports that were ignored because they could not be read. */
  get malformedReports(): number {
    return this.#malformed;
  }

  readingAt(atMs: number): SignalReading {
    return readingFromTimeline(this.#timeline, atMs, this.#options);
  }

  close(): Promise<void> {
    if (!this.#subscription.isClosed()) this.#subscription.unsubscribe();
    return Promise.resolve();
  }
}
