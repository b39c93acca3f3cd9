import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePorts, startNatsServer } from '../../cli/nats-server.js';
import type { LeafCredentials, NatsServerHandle, NatsServerOptions } from '../../cli/nats-server.js';
import { HUB_DOMAIN } from '../../proto/index.js';
import type { NatsUser } from '../../proto/index.js';
import { TEST_LEAF_CREDENTIALS, hubUsers, testConnectOptions } from './nats.js';
import type { TestNats } from './nats.js';
import { testPki } from './pki.js';
import { tempDir, waitFor } from './temp.js';

/** One node of a test cluster. */
export interface TestNatsNode {
  readonly name: string;
  /** Its client URL. */
  readonly url: string;
  /** Its leaf node URL. */
  readonly leafUrl: string;
  readonly logFile: string;
  /** The process id now (a restart changes it). */
  readonly pid: number;
  readonly isRunning: boolean;
  /** kill -9 now, as a crash would. */
  kill(): Promise<void>;
  /** Back on the same ports and store. */
  restart(): Promise<void>;
}

/**
 * A clustered hub: the TestNats shape (clients get every node's URL and move to another when
 * theirs goes; `kill`/`restart` act on every node), plus each node.
 */
export interface TestNatsCluster extends TestNats {
  readonly nodes: readonly TestNatsNode[];
  /** Every node's leaf node URL, for a site's remote. */
  readonly leafUrls: readonly string[];
}

/** The cluster name and JetStream meta group of test clusters. */
export const TEST_CLUSTER_NAME = 'hub';

/**
 * `size` real nats-server processes on loopback as one JetStream cluster (domain `hub`), each
 * with the hub's users and TLS on its client port and a leaf node port; routes between them
 * over TLS with client certificates both ways and a route user. Resolves once the cluster has
 * a JetStream meta leader (streams can be made).
 */
export async function startTestNatsCluster(
  size = 3,
  users: readonly NatsUser[] = [],
  leafUsers: readonly LeafCredentials[] = [TEST_LEAF_CREDENTIALS],
): Promise<TestNatsCluster> {
  if (size < 2) throw new Error('a cluster needs at least two nodes');
  const dir = await tempDir('zebra-nats-cluster-');
  const pki = await testPki();
  const all = hubUsers(users);
  const credentials = { user: 'route', password: randomBytes(18).toString('base64url') };
  const ports: { client: number; route: number; leaf: number }[] = [];
  const free = await freePorts(3 * size);
  for (let i = 0; i < size; i++) ports.push({ client: free[3 * i]!, route: free[3 * i + 1]!, leaf: free[3 * i + 2]! });
  const options = (i: number): NatsServerOptions => {
    const storeDir = join(dir.path, `node-${i}`);
    return {
      storeDir,
      port: ports[i]!.client,
      name: `hub-${i}`,
      domain: HUB_DOMAIN,
      leafListenPort: ports[i]!.leaf,
      leafUsers,
      users: all,
      tls: pki,
      logFile: join(storeDir, 'nats-server.log'),
      cluster: {
        name: TEST_CLUSTER_NAME,
        port: ports[i]!.route,
        routes: ports.filter((_, j) => j !== i).map((p) => `127.0.0.1:${p.route}`),
        credentials,
      },
    };
  };
  const handles: (NatsServerHandle | undefined)[] = new Array<NatsServerHandle | undefined>(size).fill(undefined);
  const stopAll = async (): Promise<void> => {
    await Promise.all(handles.map((h) => (h ? h.stop() : Promise.resolve())));
  };
  try {
    await Promise.all(
      ports.map(async (_, i) => {
        handles[i] = await startNatsServer(options(i));
      }),
    );
  } catch (err) {
    await stopAll();
    await dir[Symbol.asyncDispose]();
    throw err;
  }
  const servers = ports.map((p) => `nats://127.0.0.1:${p.client}`);
  const connectOptions = testConnectOptions(all, pki.caFile, servers);
  const nodes: TestNatsNode[] = ports.map((p, i) => ({
    name: `hub-${i}`,
    url: servers[i]!,
    leafUrl: `nats://127.0.0.1:${p.leaf}`,
    logFile: options(i).logFile!,
    get pid() {
      return handles[i]?.process.pid ?? 0;
    },
    get isRunning() {
      const child = handles[i]?.process;
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill: () => handles[i]?.kill() ?? Promise.resolve(),
    async restart() {
      handles[i] = await startNatsServer(options(i));
    },
  }));
  const cluster: TestNatsCluster = {
    url: servers[0]!,
    servers,
    port: ports[0]!.client,
    leafUrl: nodes[0]!.leafUrl,
    leafUrls: nodes.map((n) => n.leafUrl),
    logFile: nodes[0]!.logFile,
    get pid() {
      return nodes[0]!.pid;
    },
    caFile: pki.caFile,
    users: all,
    nodes,
    options: connectOptions,
    client: (user) => {
      const found = connectOptions(user);
      return { url: servers[0]!, servers, user, password: String(found.pass), caFile: pki.caFile };
    },
    connect: (user, extra) => connect(connectOptions(user, extra)),
    stop: stopAll,
    kill: async () => {
      await Promise.all(nodes.map((n) => n.kill()));
    },
    restart: async () => {
      await Promise.all(nodes.map((n) => n.restart()));
    },
    async [Symbol.asyncDispose]() {
      await stopAll();
      await dir[Symbol.asyncDispose]();
    },
  };
  try {
    await waitForJetStream(cluster);
  } catch (err) {
    await cluster[Symbol.asyncDispose]();
    throw err;
  }
  return cluster;
}

/** Until the cluster answers JetStream requests (its meta leader is elected). */
export async function waitForJetStream(cluster: TestNats, timeoutMs = 30_000): Promise<void> {
  const nc = await cluster.connect();
  try {
    await waitFor(
      'JetStream meta leader',
      async () => {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 }).catch(() => undefined);
        const info = await jsm?.getAccountInfo().catch(() => undefined);
        return info ? true : undefined;
      },
      timeoutMs,
    );
  } finally {
    await nc.close();
  }
}
