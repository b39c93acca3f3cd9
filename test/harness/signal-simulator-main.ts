/**
 * A simulated controller in its own process (so a busy test process cannot delay its
 * answers): `node --import tsx signal-simulator-main.ts '<SimulatorOptions as JSON>'`.
 * Prints {"port":N} once it answers; stops on SIGTERM.
 */
import { SignalControllerSimulator } from '../../cli/signal-simulator.js';
import type { SimulatorOptions } from '../../cli/signal-simulator.js';

const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions;
const sim = await SignalControllerSimulator.start(options);
process.stdout.write(`${JSON.stringify({ port: sim.port })}\n`);
process.once('SIGTERM', () => {
  void sim.close().then(() => process.exit(0));
});
