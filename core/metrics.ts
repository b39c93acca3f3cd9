import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The core's Prometheus metrics, on a registry of its own (several cores can share a process in tests). */
export interface CoreMetrics {
  readonly registry: Registry;
  readonly ingested: Counter<'outcome'>;
  readonly rejected: Counter<'reason'>;
  readonly ingestErrors: Counter;
  readonly natsConnected: Gauge;
}

export function createCoreMetrics(): CoreMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    ingested: new Counter({
      name: 'zebra_ingest_events_total',
      help: 'Events taken from the stream, by outcome (stored or duplicate)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'zebra_ingest_rejected_total',
      help: 'Messages quarantined at ingest, by reason code',
      labelNames: ['reason'],
      registers: [registry],
    }),
    ingestErrors: new Counter({
      name: 'zebra_ingest_errors_total',
      help: 'Transient ingest failures (the message is redelivered)',
      registers: [registry],
    }),
    natsConnected: new Gauge({
      name: 'zebra_nats_connected',
      help: '1 while connected to NATS',
      registers: [registry],
    }),
  };
}
