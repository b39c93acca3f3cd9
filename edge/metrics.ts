import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CAMERA_STATES } from './camera-health.js';
import type { CameraStateName } from './camera-health.js';

/** What the health gauges read at each scrape (edge/health.ts makes it). */
export interface HealthReading {
  readonly ok: boolean;
  readonly cameras: ReadonlyMap<string, { readonly state: CameraStateName; readonly sinceFrameMs: number }>;
  /** Cameras fed by a controller: whether the feed is stale now. */
  readonly signalStale: ReadonlyMap<string, boolean>;
  /** How long messages have waited in the spool without it emptying; 0 when empty. */
  readonly spoolWaitingMs: number;
}

const NO_READING: HealthReading = { ok: true, cameras: new Map(), signalStale: new Map(), spoolWaitingMs: 0 };

/** The edge's Prometheus metrics, on a registry of its own. */
export interface EdgeMetrics {
  readonly registry: Registry;
  readonly frames: Counter<'camera'>;
  readonly fps: Gauge<'camera'>;
  readonly framesSkipped: Counter<'camera' | 'reason'>;
  readonly detectorCalls: Counter<'camera'>;
  readonly detectorSeconds: Histogram<'camera'>;
  readonly candidates: Counter<'camera' | 'reason'>;
  readonly events: Counter<'camera' | 'evidence'>;
  readonly suspended: Gauge<'camera' | 'reason'>;
  readonly sourceRestarts: Counter<'camera'>;
  readonly systemClock: Gauge<'source' | 'state'>;
  readonly outboxRefusals: Counter<'store'>;
  readonly outboxUsedBytes: Gauge<'store'>;
  readonly outboxLimitBytes: Gauge<'store'>;
  readonly outboxPendingEvents: Gauge;
  readonly receiptsApplied: Counter<'kind' | 'outcome'>;
  readonly receiptsRefused: Counter<'reason'>;
  readonly spooledMessages: Gauge;
  readonly signalReportsAccepted: Counter<'camera'>;
  readonly signalReportsRefused: Counter<'camera' | 'reason'>;
  readonly evidenceWithheld: Counter<'camera' | 'reason'>;
  readonly evidenceQueuedEvents: Gauge<'camera'>;
  readonly evidenceFrameBytes: Gauge<'kind'>;
  readonly healthy: Gauge;
  readonly cameraUp: Gauge<'camera'>;
  readonly cameraState: Gauge<'camera' | 'state'>;
  readonly cameraLastFrameAge: Gauge<'camera'>;
  readonly signalStale: Gauge<'camera'>;
  readonly spoolWaiting: Gauge;
  /** Where evidenceFrameBytes reads its values at each scrape (the device's evidence queues). */
  watchEvidenceFrameBytes(read: () => { readonly reserved: number; readonly held: number }): void;
  /** Where the health gauges read their values at each scrape. */
  watchHealth(read: () => HealthReading): void;
}

export function createEdgeMetrics(): EdgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let readHealth = (): HealthReading => NO_READING;
  let readEvidenceBytes: () => { readonly reserved: number; readonly held: number } = () => ({ reserved: 0, held: 0 });
  return {
    registry,
    frames: new Counter({ name: 'zebra_edge_frames_total', help: 'Frames decoded', labelNames: ['camera'], registers }),
    fps: new Gauge({
      name: 'zebra_edge_fps',
      help: 'Frames processed per second, last 5 s',
      labelNames: ['camera'],
      registers,
    }),
    framesSkipped: new Counter({
      name: 'zebra_edge_frames_skipped_total',
      help: 'Frames the detector did not run on: no_motion (gated) or detector_failed',
      labelNames: ['camera', 'reason'],
      registers,
    }),
    detectorCalls: new Counter({
      name: 'zebra_edge_detector_calls_total',
      help: 'Person detector calls',
      labelNames: ['camera'],
      registers,
    }),
    detectorSeconds: new Histogram({
      name: 'zebra_edge_detector_seconds',
      help: 'Person detector latency, frame in to detections out',
      labelNames: ['camera'],
      buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64],
      registers,
    }),
    candidates: new Counter({
      name: 'zebra_edge_candidates_total',
      help: 'Zone entries decided, by reason: infraction, a lawful outcome, or suspended_<reason>',
      labelNames: ['camera', 'reason'],
      registers,
    }),
    events: new Counter({
      name: 'zebra_edge_events_total',
      help: 'Infraction events published, by evidence status',
      labelNames: ['camera', 'evidence'],
      registers,
    }),
    suspended: new Gauge({
      name: 'zebra_edge_enforcement_suspended',
      help: '1 while enforcement on the camera is suspended for the reason',
      labelNames: ['camera', 'reason'],
      registers,
    }),
    sourceRestarts: new Counter({
      name: 'zebra_edge_source_restarts_total',
      help: 'Times a camera stream was reopened after it dropped',
      labelNames: ['camera'],
      registers,
    }),
    systemClock: new Gauge({
      name: 'zebra_edge_system_clock',
      help: '1 for the system clock state last read, and the tool that said so (chrony, timedatectl, adjtimex, none)',
      labelNames: ['source', 'state'],
      registers,
    }),
    outboxRefusals: new Counter({
      name: 'zebra_edge_outbox_refusals_total',
      help: 'Writes the full site outbox refused (events or evidence); alert on any',
      labelNames: ['store'],
      registers,
    }),
    outboxUsedBytes: new Gauge({
      name: 'zebra_edge_outbox_used_bytes',
      help: 'Bytes held in the site outbox, not yet receipted by the core',
      labelNames: ['store'],
      registers,
    }),
    outboxLimitBytes: new Gauge({
      name: 'zebra_edge_outbox_limit_bytes',
      help: 'Size of the site outbox (sized for the promised outage)',
      labelNames: ['store'],
      registers,
    }),
    outboxPendingEvents: new Gauge({
      name: 'zebra_edge_outbox_pending_messages',
      help: 'Events and tallies in the site outbox waiting for the core’s receipt',
      registers,
    }),
    receiptsApplied: new Counter({
      name: 'zebra_edge_receipts_applied_total',
      help: 'Receipts from the core applied to the outbox (the message and its evidence purged)',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    receiptsRefused: new Counter({
      name: 'zebra_edge_receipts_refused_total',
      help: "Receipt batches refused because they were not signed by the core's pinned key (nothing purged)",
      labelNames: ['reason'],
      registers,
    }),
    spooledMessages: new Gauge({
      name: 'zebra_edge_spooled_messages',
      help: 'Signed events and tallies on the device’s disk that the site outbox does not hold yet; alert when it stays above 0',
      registers,
    }),
    signalReportsAccepted: new Counter({
      name: 'zebra_edge_signal_reports_accepted_total',
      help: "Signal controller reports accepted (signed by the controller's pinned key, fresh, in order)",
      labelNames: ['camera'],
      registers,
    }),
    signalReportsRefused: new Counter({
      name: 'zebra_edge_signal_reports_refused_total',
      help: 'Signal controller reports refused, by reason (the signal did not move); alert on any but stale',
      labelNames: ['camera', 'reason'],
      registers,
    }),
    evidenceWithheld: new Counter({
      name: 'zebra_edge_evidence_withheld_total',
      help: 'Events sent without evidence, by reason: queue_full (the evidence queue was full) or redaction_failed; alert on any',
      labelNames: ['camera', 'reason'],
      registers,
    }),
    evidenceQueuedEvents: new Gauge({
      name: 'zebra_edge_evidence_queued_events',
      help: 'Events whose evidence is being collected, redacted or written (at most evidence.maxQueuedEvents)',
      labelNames: ['camera'],
      registers,
    }),
    evidenceFrameBytes: new Gauge({
      name: 'zebra_edge_evidence_frame_bytes',
      help: 'Frame bytes of queued evidence, all cameras: reserved (at most evidence.maxQueuedFrameBytes) and held now',
      labelNames: ['kind'],
      registers,
      collect() {
        const { reserved, held } = readEvidenceBytes();
        this.set({ kind: 'reserved' }, reserved);
        this.set({ kind: 'held' }, held);
      },
    }),
    ...healthGauges(registers, () => readHealth()),
    watchEvidenceFrameBytes(read) {
      readEvidenceBytes = read;
    },
    watchHealth(read) {
      readHealth = read;
    },
  };
}

/** The gauges /healthz's verdict and each camera's state become, read at each scrape. */
function healthGauges(registers: Registry[], read: () => HealthReading) {
  return {
    healthy: new Gauge({
      name: 'zebra_edge_healthy',
      help: '1 while /healthz is green (every camera delivers frames, no stale signal feed, the spool empties)',
      registers,
      collect() {
        this.set(read().ok ? 1 : 0);
      },
    }),
    cameraUp: new Gauge({
      name: 'zebra_edge_camera_up',
      help: '1 while the camera delivers frames (state running)',
      labelNames: ['camera'],
      registers,
      collect() {
        for (const [camera, c] of read().cameras) this.set({ camera }, c.state === 'running' ? 1 : 0);
      },
    }),
    cameraState: new Gauge({
      name: 'zebra_edge_camera_state',
      help: "1 for the camera's current state (connecting, running, stalled, failed, ended), 0 for the others",
      labelNames: ['camera', 'state'],
      registers,
      collect() {
        for (const [camera, c] of read().cameras)
          for (const state of CAMERA_STATES) this.set({ camera, state }, c.state === state ? 1 : 0);
      },
    }),
    cameraLastFrameAge: new Gauge({
      name: 'zebra_edge_camera_last_frame_age_seconds',
      help: "Seconds since the camera's last frame (since it started when none came yet)",
      labelNames: ['camera'],
      registers,
      collect() {
        for (const [camera, c] of read().cameras) this.set({ camera }, c.sinceFrameMs / 1000);
      },
    }),
    signalStale: new Gauge({
      name: 'zebra_edge_signal_stale',
      help: "1 while the camera's signal controller feed is stale (enforcement suspended)",
      labelNames: ['camera'],
      registers,
      collect() {
        for (const [camera, stale] of read().signalStale) this.set({ camera }, stale ? 1 : 0);
      },
    }),
    spoolWaiting: new Gauge({
      name: 'zebra_edge_spool_waiting_seconds',
      help: 'Seconds signed messages have waited in the device spool without it emptying; 0 when empty',
      registers,
      collect() {
        this.set(read().spoolWaitingMs / 1000);
      },
    }),
  };
}
