import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The core's Prometheus metrics, on a registry of its own (several cores can share a process in tests). */
export interface CoreMetrics {
  readonly registry: Registry;
  readonly ingested: Counter<'outcome'>;
  readonly rejected: Counter<'reason'>;
  readonly ingestErrors: Counter;
  readonly evidenceWaits: Counter;
  readonly receiptsSent: Counter<'outcome'>;
  readonly junkCounted: Counter<'reason'>;
  readonly ingestAckPending: Gauge;
  readonly ingestPending: Gauge;
  readonly ingestStalled: Gauge;
  readonly ingestLastProgress: Gauge;
  readonly natsConnected: Gauge;
  readonly apiCalls: Counter<'method' | 'code'>;
  readonly apiSeconds: Histogram<'method'>;
  readonly apiDenials: Counter<'method' | 'code'>;
  readonly evidencePurged: Counter;
  readonly evidenceIntegrityFailures: Counter;
  readonly reviewsExpired: Counter;
  readonly healthy: Gauge;
  readonly checkpointTimestamp: Gauge;
  readonly checkpointUncoveredAge: Gauge;
  readonly checkpointStale: Gauge;
  readonly reviewQueueItems: Gauge;
  readonly reviewQueueOldestAge: Gauge;
  readonly reviewQueueOverSla: Gauge;
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
    evidenceWaits: new Counter({
      name: 'zebra_ingest_evidence_waits_total',
      help: 'Deliveries put back because the event arrived before its evidence reached the hub',
      registers: [registry],
    }),
    receiptsSent: new Counter({
      name: 'zebra_ingest_receipts_total',
      help: 'Receipts published to sites after the commit, by outcome (stored or quarantined)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    junkCounted: new Counter({
      name: 'zebra_ingest_junk_counted_total',
      help: 'Refused junk messages over the per-minute quarantine budget: counted, their payload not kept',
      labelNames: ['reason'],
      registers: [registry],
    }),
    ingestAckPending: new Gauge({
      name: 'zebra_ingest_ack_pending',
      help: 'Messages delivered to the ingest consumer and not acknowledged yet (read every monitor interval)',
      registers: [registry],
    }),
    ingestPending: new Gauge({
      name: 'zebra_ingest_pending',
      help: 'Messages in the stream not delivered to the ingest consumer yet (read every monitor interval)',
      registers: [registry],
    }),
    ingestStalled: new Gauge({
      name: 'zebra_ingest_stalled',
      help: '1 while ingest is stalled: at its ack-pending limit, or messages wait and none was settled for ingest.stallAfterMs',
      registers: [registry],
    }),
    ingestLastProgress: new Gauge({
      name: 'zebra_ingest_last_progress_timestamp_seconds',
      help: 'When ingest last settled (acked) a message',
      registers: [registry],
    }),
    natsConnected: new Gauge({
      name: 'zebra_nats_connected',
      help: '1 while connected to NATS',
      registers: [registry],
    }),
    apiCalls: new Counter({
      name: 'zebra_api_calls_total',
      help: 'API calls (gRPC and JSON gateway) by method and status code',
      labelNames: ['method', 'code'],
      registers: [registry],
    }),
    apiSeconds: new Histogram({
      name: 'zebra_api_call_seconds',
      help: 'API call duration by method',
      labelNames: ['method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    apiDenials: new Counter({
      name: 'zebra_api_denials_total',
      help: 'Calls refused as unauthenticated or not permitted (each is audited)',
      labelNames: ['method', 'code'],
      registers: [registry],
    }),
    evidencePurged: new Counter({
      name: 'zebra_evidence_purged_total',
      help: 'Evidence objects deleted by retention',
      registers: [registry],
    }),
    evidenceIntegrityFailures: new Counter({
      name: 'zebra_evidence_integrity_failures_total',
      help: 'Evidence objects refused because their bytes do not match the SHA-256 the device signed',
      registers: [registry],
    }),
    reviewsExpired: new Counter({
      name: 'zebra_reviews_expired_total',
      help: 'Open reviews expired by retention',
      registers: [registry],
    }),
    ...healthGauges([registry]),
  };
}

/** What /healthz judges besides ingest, read on the health timer (core/http/health.ts). */
function healthGauges(registers: Registry[]) {
  const gauge = (name: string, help: string): Gauge => new Gauge({ name, help, registers });
  return {
    healthy: gauge('zebra_core_healthy', '1 while /healthz is green (at its last answer or health check)'),
    checkpointTimestamp: gauge(
      'zebra_audit_checkpoint_timestamp_seconds',
      'When the newest audit checkpoint was signed; 0 before the first',
    ),
    checkpointUncoveredAge: gauge(
      'zebra_audit_uncovered_entry_age_seconds',
      'Age of the oldest audit entry no signed checkpoint covers yet; 0 when all are covered',
    ),
    checkpointStale: gauge(
      'zebra_audit_checkpoint_stale',
      '1 while an audit entry has waited for a checkpoint longer than audit.checkpointIntervalMs + health.checkpointSlackMs',
    ),
    reviewQueueItems: gauge(
      'zebra_review_queue_items',
      'Review items waiting for a person (received, queued, in review, confirmed, linked); counted up to 10000',
    ),
    reviewQueueOldestAge: gauge(
      'zebra_review_queue_oldest_age_seconds',
      'Age of the oldest open review item, from its capture; 0 when the queue is empty',
    ),
    reviewQueueOverSla: gauge(
      'zebra_review_queue_over_sla',
      '1 while the oldest open review item is older than health.reviewQueueMaxAgeMs',
    ),
  };
}
