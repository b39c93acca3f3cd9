import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { signalSubject } from '../../proto/index.js';
import type { Logger } from '../logger.js';
import type { EdgeMetrics } from '../metrics.js';
import { EMPTY_FEED, readingFromFeed, receiveReport } from './controller-feed.js';
import type { FeedOptions, FeedState } from './controller-feed.js';
import { RefusalLog } from './refusal-log.js';
import type { RefusalReason } from './report-gate.js';
import type { SignalReading, SignalSource } from './signal.js';

export interface ControllerSourceDeps {
  /** The camera this feed decides for (metric label). */
  readonly cameraId: string;
  readonly logger: Logger;
  readonly metrics?: EdgeMetrics;
  /** Device clock. */
  readonly now?: () => number;
  /** At most one log line about refused reports per this long (default 60 s). */
  readonly refusalLogEveryMs?: number;
}

/**
 * The live signal from a controller feed: signed phase reports on
 * `zebra.v1.signal.<site>.<controller>` on the site's NATS. Only reports signed by the
 * controller's pinned key, fresh and in order, move the signal; the rest are counted
 * (zebra_edge_signal_reports_refused_total) and logged in aggregate.
 */
export class ControllerSignalSource implements SignalSource {
  readonly #options: FeedOptions;
  readonly #subscription: Subscription;
  readonly #refusalLog: RefusalLog;
  #feed: FeedState = EMPTY_FEED;
  #accepted = 0;
  readonly #refused = new Map<RefusalReason, number>();

  private constructor(subscription: Subscription, options: FeedOptions, refusalLog: RefusalLog) {
    this.#subscription = subscription;
    this.#options = options;
    this.#refusalLog = refusalLog;
  }

  static subscribe(
    nc: NatsConnection,
    siteId: string,
    options: FeedOptions,
    deps: ControllerSourceDeps,
  ): ControllerSignalSource {
    const now = deps.now ?? Date.now;
    const refusalLog = new RefusalLog(deps.logger, deps.refusalLogEveryMs ?? 60_000, now);
    let source: ControllerSignalSource | undefined = undefined;
    const subscription = nc.subscribe(signalSubject(siteId, options.controllerId), {
      callback: (err, msg) => {
        if (err || !source) return;
        const { feed, verdict } = receiveReport(source.#feed, msg.data, options, now());
        source.#feed = feed;
        if (verdict.accepted) {
          source.#accepted += 1;
          deps.metrics?.signalReportsAccepted.inc({ camera: deps.cameraId });
          return;
        }
        source.#refused.set(verdict.reason, (source.#refused.get(verdict.reason) ?? 0) + 1);
        deps.metrics?.signalReportsRefused.inc({ camera: deps.cameraId, reason: verdict.reason });
        refusalLog.add(verdict.reason, verdict.detail);
      },
    });
    source = new ControllerSignalSource(subscription, options, refusalLog);
    deps.logger.info(
      { controllerId: options.controllerId, keyId: options.key.keyId },
      'signal feed: reports must be signed by the pinned controller key',
    );
    return source;
  }

  /** Reports that moved the signal. */
  get acceptedReports(): number {
    return this.#accepted;
  }

  /** Reports refused, by reason. */
  get refusedReports(): ReadonlyMap<RefusalReason, number> {
    return this.#refused;
  }

  readingAt(atMs: number): SignalReading {
    return readingFromFeed(this.#feed, atMs, this.#options);
  }

  close(): Promise<void> {
    if (!this.#subscription.isClosed()) this.#subscription.unsubscribe();
    this.#refusalLog.flush();
    return Promise.resolve();
  }
}
