import { createEdgeLogger } from '../edge/logger.js';
import { SignalBridge, loadBridgeConfig } from '../edge/signal/bridge/index.js';
import { untilSignal } from './output.js';

/**
 * `zebra signal bridge --config FILE`: reads the controller's pedestrian signal over SNMP
 * (NTCIP 1202) and publishes signed phase reports for the edge until SIGINT/SIGTERM.
 */
export async function signalBridge(o: { config: string }): Promise<number> {
  const config = await loadBridgeConfig(o.config);
  const logger = createEdgeLogger(config.logLevel).child({ component: 'signal-bridge' });
  const bridge = await SignalBridge.start(config, logger);
  const signal = await untilSignal();
  logger.info({ signal, reportsPublished: bridge.reportsPublished }, 'stopping');
  await bridge.close();
  return 0;
}
