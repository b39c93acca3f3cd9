import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../logger.js';
import type { EdgeMetrics } from '../metrics.js';
import type { OutboxLimits } from './limits.js';
import { outboxUsage } from './site-outbox.js';

/** Share of either store above which the outbox reports itself nearly full. */
const NEARLY_FULL_SHARE = 0.9;
/** A refusal keeps the outbox reported as full for this long. */
const FULL_HOLD_MS = 60_000;

export interface OutboxMonitor {
  /** 'ok', 'nearly full (…)' or 'full (…)', for /healthz. */
  state(): string;
  /** Records a write the full outbox refused. */
  refused(store: 'events' | 'evidence'): void;
  close(): void;
}

/** Watches the outbox's fill level every `intervalMs`: gauges, health, and a log line on each change. */
export function startOutboxMonitor(
  nc: NatsConnection,
  limits: OutboxLimits,
  metrics: EdgeMetrics,
  logger: Logger,
  intervalMs = 5_000,
): OutboxMonitor {
  metrics.outboxLimitBytes.set({ store: 'events' }, limits.eventsMaxBytes);
  metrics.outboxLimitBytes.set({ store: 'evidence' }, limits.evidenceMaxBytes);
  let level = 'ok';
  let refusedAtMs = -Infinity;
  let refusedStore = '';
  const update = async (): Promise<void> => {
    const usage = await outboxUsage(nc);
    metrics.outboxUsedBytes.set({ store: 'events' }, usage.eventsBytes);
    metrics.outboxUsedBytes.set({ store: 'evidence' }, usage.evidenceBytes);
    metrics.outboxPendingEvents.set(usage.pending);
    const share = Math.max(usage.eventsBytes / limits.eventsMaxBytes, usage.evidenceBytes / limits.evidenceMaxBytes);
    const percent = `${Math.round(share * 100)}% used, ${usage.pending} waiting for receipts`;
    const next =
      Date.now() - refusedAtMs < FULL_HOLD_MS
        ? `full (${refusedStore} refused; ${percent})`
        : share >= NEARLY_FULL_SHARE
          ? `nearly full (${percent})`
          : 'ok';
    if (next.split(' ')[0] !== level.split(' ')[0]) {
      const log = next === 'ok' ? logger.info.bind(logger) : logger.error.bind(logger);
      log({ usage, limits }, `site outbox ${next}`);
    }
    level = next;
  };
  const timer = setInterval(() => {
    update().catch((err: unknown) => logger.debug({ err }, 'outbox usage unavailable'));
  }, intervalMs);
  timer.unref();
  void update().catch(() => undefined);
  return {
    state: () => level,
    refused(store) {
      refusedAtMs = Date.now();
      refusedStore = store;
      metrics.outboxRefusals.inc({ store });
      level = `full (${store} refused)`;
    },
    close: () => clearInterval(timer),
  };
}
