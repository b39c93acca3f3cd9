import { describeCamera, isCameraRed } from './camera-health.js';
import type { CameraBoard, CameraStatus } from './camera-health.js';
import type { EdgeConfig } from './config.js';
import type { HealthReading } from './metrics.js';
import type { SignalSource } from './signal/signal.js';

/** The edge's health as /healthz reports it. */
export interface EdgeHealth {
  readonly ok: boolean;
  readonly checks: Record<string, string>;
}

/** Everything the device's health is judged from, read at one instant. */
export interface HealthInputs {
  readonly natsConnected: boolean;
  /** The site outbox monitor's state; absent without a site outbox. */
  readonly outbox?: string;
  readonly cameras: ReadonlyMap<string, CameraStatus>;
  /** Cameras fed by a controller: whether the feed is stale now. */
  readonly signalStale: ReadonlyMap<string, boolean>;
  /** Each camera's evidence queue state ("ok" or "full (...)"). */
  readonly evidence: ReadonlyMap<string, string>;
  /** How long messages have waited in the spool without it emptying; 0 when empty. */
  readonly spoolWaitingMs: number;
}

export interface HealthLimits {
  readonly spoolWaitMs: number;
}

/**
 * /healthz's verdict: red when NATS is down, the outbox is full, any camera is stalled or
 * failed, a signal feed is stale, an evidence queue is full, or the spool has not emptied for
 * `spoolWaitMs`. Pure.
 */
export function judgeEdgeHealth(inputs: HealthInputs, limits: HealthLimits): EdgeHealth & HealthReading {
  const checks: Record<string, string> = { nats: inputs.natsConnected ? 'connected' : 'disconnected' };
  let ok = inputs.natsConnected;
  if (inputs.outbox !== undefined) {
    checks.outbox = inputs.outbox;
    ok &&= !inputs.outbox.startsWith('full');
  }
  for (const [id, status] of inputs.cameras) {
    checks[`camera:${id}`] = describeCamera(status);
    ok &&= !isCameraRed(status.state);
  }
  for (const [id, stale] of inputs.signalStale) {
    checks[`signal:${id}`] = stale ? 'stale: no fresh controller report (enforcement suspended)' : 'ok';
    ok &&= !stale;
  }
  for (const [id, state] of inputs.evidence) {
    checks[`evidence:${id}`] = state;
    ok &&= !state.startsWith('full');
  }
  const spoolRed = inputs.spoolWaitingMs >= limits.spoolWaitMs;
  checks.spool =
    inputs.spoolWaitingMs === 0
      ? 'empty'
      : `${spoolRed ? 'growing' : 'sending'}: messages waiting ${Math.round(inputs.spoolWaitingMs / 1000)} s`;
  ok &&= !spoolRed;
  return {
    ok,
    checks,
    cameras: inputs.cameras,
    signalStale: inputs.signalStale,
    spoolWaitingMs: inputs.spoolWaitingMs,
  };
}

/** Where the device's health is read from (edge/main.ts wires it). */
export interface DeviceHealthParts {
  readonly config: Pick<EdgeConfig, 'cameras' | 'health'>;
  readonly board: CameraBoard;
  /** Each camera's signal source, once it started. */
  readonly signals: ReadonlyMap<string, SignalSource>;
  readonly evidence: { state(cameraId: string): string };
  readonly isConnected: () => boolean;
  readonly outboxState?: (() => string) | undefined;
  readonly spoolWaitingSinceMs: () => number | undefined;
}

/** Reads every part now and judges it (for /healthz and the health gauges). */
export function deviceHealthReader(parts: DeviceHealthParts): () => EdgeHealth & HealthReading {
  const { config } = parts;
  return () => {
    const nowMs = Date.now();
    const waitingSinceMs = parts.spoolWaitingSinceMs();
    const fedByController = config.cameras.filter((c) => c.signal.controller && parts.signals.has(c.id));
    return judgeEdgeHealth(
      {
        natsConnected: parts.isConnected(),
        outbox: parts.outboxState?.(),
        cameras: parts.board.statuses(config.health.cameraNoFrameMs),
        signalStale: new Map(fedByController.map((c) => [c.id, parts.signals.get(c.id)!.readingAt(nowMs).isStale])),
        evidence: new Map(config.cameras.map((c) => [c.id, parts.evidence.state(c.id)])),
        spoolWaitingMs: waitingSinceMs === undefined ? 0 : nowMs - waitingSinceMs,
      },
      config.health,
    );
  };
}
