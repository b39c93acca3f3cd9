import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BRIDGE_FAULTS } from './tracker.js';
import type { BridgeFault } from './tracker.js';

/** The signal bridge's Prometheus metrics, on a registry of its own. */
export interface BridgeMetrics {
  readonly registry: Registry;
  readonly polls: Counter<'outcome'>;
  readonly pollSeconds: Histogram;
  readonly faults: Counter<'reason'>;
  /** 1 for the fault in force (nothing is published), 0 for the others. */
  readonly fault: Gauge<'reason'>;
  readonly reportsPublished: Counter<'aspect'>;
  readonly traps: Counter<'outcome'>;
  setFault(reason: BridgeFault | undefined): void;
}

export function createBridgeMetrics(): BridgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const fault = new Gauge({
    name: 'zebra_signal_bridge_fault',
    help: '1 while this fault stops the bridge reporting the aspect (one DARK report, then nothing)',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of BRIDGE_FAULTS) fault.set({ reason }, 0);
  return {
    registry,
    polls: new Counter({
      name: 'zebra_signal_bridge_polls_total',
      help: 'Controller polls by outcome: ok or a fault reason',
      labelNames: ['outcome'],
      registers,
    }),
    pollSeconds: new Histogram({
      name: 'zebra_signal_bridge_poll_seconds',
      help: 'Time from request to answer (or failure)',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
      registers,
    }),
    faults: new Counter({
      name: 'zebra_signal_bridge_faults_total',
      help: 'Times the bridge stopped publishing, by reason',
      labelNames: ['reason'],
      registers,
    }),
    fault,
    reportsPublished: new Counter({
      name: 'zebra_signal_bridge_reports_published_total',
      help: 'Signed phase reports published, by aspect',
      labelNames: ['aspect'],
      registers,
    }),
    traps: new Counter({
      name: 'zebra_signal_bridge_traps_total',
      help: 'Notifications received: accepted (a poll follows) or refused',
      labelNames: ['outcome'],
      registers,
    }),
    setFault(reason) {
      for (const r of BRIDGE_FAULTS) fault.set({ reason: r }, r === reason ? 1 : 0);
    },
  };
}
