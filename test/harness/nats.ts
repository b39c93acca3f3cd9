import { startNatsServer } from '../../cli/nats-server.js';
import type { LeafCredentials, NatsServerHandle } from '../../cli/nats-server.js';
import { HUB_DOMAIN } from '../../proto/index.js';
import { tempDir } from './temp.js';
import type { NatsUser } from '../../proto/index.js';

export interface TestNats extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** The hub's leaf node URL (sites connect here). */
  readonly leafUrl: string;
  /** The server's log file. */
  readonly logFile: string;
  /** The server process's id now (a restart changes it). */
  readonly pid: number;
  /** Stops the server now (the temp folder goes on dispose). */
  stop(): Promise<void>;
  /** kill -9 now; `restart` brings it back on the same ports and store. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

async function startServer(
  prefix: string,
  options: (storeDir: string) => Parameters<typeof startNatsServer>[0],
): Promise<TestNats> {
  const dir = await tempDir(prefix);
  let server: NatsServerHandle = await startNatsServer(options(dir.path)).catch(async (err: unknown) => {
    await dir[Symbol.asyncDispose]();
    throw err;
  });
  const fixed = { ...options(dir.path), port: server.port, leafListenPort: server.leafPort };
  return {
    url: server.url,
    port: server.port,
    leafUrl: `nats://127.0.0.1:${server.leafPort ?? 0}`,
    logFile: `${dir.path}/nats-server.log`,
    get pid() {
      return server.process.pid ?? 0;
    },
    stop: () => server.stop(),
    kill: () => server.kill(),
    async restart() {
      server = await startNatsServer(fixed);
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/**
 * A real nats-server (the hub: JetStream domain `hub`, accepting leaf nodes) on random ports
 * and a temporary store. `leaf` puts the leaf node port behind a link: the hub listens on
 * `port` and tells sites to reconnect through `advertise`.
 */
export function startTestNats(
  users?: readonly NatsUser[],
  leaf: { port: number; advertise: string; users?: readonly LeafCredentials[] } = { port: 0, advertise: '' },
): Promise<TestNats> {
  return startServer('zebra-nats-', (storeDir) => ({
    storeDir,
    port: 0,
    name: 'hub',
    domain: HUB_DOMAIN,
    leafListenPort: leaf.port,
    leafAdvertise: leaf.advertise || undefined,
    leafUsers: leaf.users,
    users,
    logFile: `${storeDir}/nats-server.log`,
  }));
}

/** A site's leaf node: JetStream domain = the site id, connected to the hub at `hubLeafUrl`. */
export function startTestSite(siteId: string, hubLeafUrl: string, credentials?: LeafCredentials): Promise<TestNats> {
  return startServer(`zebra-${siteId}-`, (storeDir) => ({
    storeDir,
    port: 0,
    name: `leaf-${siteId}`,
    domain: siteId,
    leafRemoteUrl: hubLeafUrl,
    leafCredentials: credentials,
    logFile: `${storeDir}/nats-server.log`,
  }));
}
