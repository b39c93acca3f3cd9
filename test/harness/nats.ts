import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { startNatsServer } from '../../cli/nats-server.js';
import type { LeafCredentials, NatsServerHandle } from '../../cli/nats-server.js';
import {
  HUB_DOMAIN,
  NATS_CORE_USER,
  NATS_SETUP_USER,
  controllerPermissions,
  corePermissions,
  natsInboxPrefix,
  siteDevicePermissions,
} from '../../proto/index.js';
import type { NatsUser } from '../../proto/index.js';
import { setupTestSiteOutbox } from './nats-setup.js';
import { testPki } from './pki.js';
import { tempDir } from './temp.js';

/** The ingest durable the test core uses (the core config's default). */
export const TEST_INGEST_DURABLE = 'core-ingest';

export interface TestNats extends AsyncDisposable {
  /** The first (or only) server's client URL. */
  readonly url: string;
  /** Every server's client URL: one, or each node of a cluster (clients get them all). */
  readonly servers: readonly string[];
  readonly port: number;
  /** The hub's leaf node URL (sites connect here). */
  readonly leafUrl: string;
  /** The server's log file. */
  readonly logFile: string;
  /** The server process's id now (a restart changes it). */
  readonly pid: number;
  /** The CA file clients trust. */
  readonly caFile: string;
  /** Every user of this server with its password (the setup identity included). */
  readonly users: readonly NatsUser[];
  /** What a client needs to connect as `user` (default: the setup identity), TLS included. */
  options(user?: string, extra?: Partial<ConnectionOptions>): ConnectionOptions;
  /** Where and as whom `user` connects, as plain data (for a child process). */
  client(user: string): NatsClientTarget;
  /** A connection as `user` (default: the setup identity). */
  connect(user?: string, extra?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /** Stops the server now (the temp folder goes on dispose). */
  stop(): Promise<void>;
  /** kill -9 now; `restart` brings it back on the same ports and store. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** A NATS client's target and identity, as plain data. */
export interface NatsClientTarget {
  readonly url: string;
  /** Every server to try (a cluster's nodes); `url` is the first. */
  readonly servers?: readonly string[];
  readonly user: string;
  readonly password: string;
  readonly caFile: string;
}

const secret = (): string => randomBytes(18).toString('base64url');

/** The leaf link credentials every test hub admits and every test site signs in with, unless a test names its own. */
export const TEST_LEAF_CREDENTIALS: LeafCredentials = { user: 'test-site', password: secret() };

/** A user with a fresh random password. */
export function testUser(user: string, permissions?: NatsUser['permissions']): NatsUser {
  return { user, password: secret(), ...(permissions ? { permissions } : {}) };
}

async function startServer(
  prefix: string,
  users: readonly NatsUser[],
  options: (storeDir: string) => Omit<Parameters<typeof startNatsServer>[0], 'users' | 'tls'>,
): Promise<TestNats> {
  const dir = await tempDir(prefix);
  const pki = await testPki();
  const withAuth = (storeDir: string): Parameters<typeof startNatsServer>[0] => ({
    ...options(storeDir),
    users,
    tls: pki,
  });
  let server: NatsServerHandle = await startNatsServer(withAuth(dir.path)).catch(async (err: unknown) => {
    await dir[Symbol.asyncDispose]();
    throw err;
  });
  const fixed = { ...withAuth(dir.path), port: server.port, leafListenPort: server.leafPort };
  const connectOptions = testConnectOptions(users, pki.caFile, [server.url]);
  return {
    url: server.url,
    servers: [server.url],
    port: server.port,
    leafUrl: `nats://127.0.0.1:${server.leafPort ?? 0}`,
    logFile: `${dir.path}/nats-server.log`,
    get pid() {
      return server.process.pid ?? 0;
    },
    caFile: pki.caFile,
    users,
    options: connectOptions,
    client: (user) => {
      const options = connectOptions(user);
      return { url: server.url, servers: [server.url], user, password: String(options.pass), caFile: pki.caFile };
    },
    connect: (user, extra) => connect(connectOptions(user, extra)),
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

/** What a client needs to connect to `servers` as `user` (default: the setup identity), TLS included. */
export function testConnectOptions(
  users: readonly NatsUser[],
  caFile: string,
  servers: readonly string[],
): (user?: string, extra?: Partial<ConnectionOptions>) => ConnectionOptions {
  return (user = NATS_SETUP_USER, extra = {}) => {
    const found = users.find((u) => u.user === user);
    if (!found) throw new Error(`test nats-server has no user ${user}`);
    // Each user but setup may read only its own replies (see natsInboxPrefix).
    const inbox = user === NATS_SETUP_USER ? {} : { inboxPrefix: natsInboxPrefix(user) };
    return { servers: [...servers], user, pass: found.password, tls: { caFile }, ...inbox, ...extra };
  };
}

/** Users with the same name as an earlier one replace it. */
function mergeUsers(base: readonly NatsUser[], extra: readonly NatsUser[]): NatsUser[] {
  const byName = new Map(base.map((u) => [u.user, u]));
  for (const u of extra) byName.set(u.user, u);
  return [...byName.values()];
}

/**
 * A real nats-server (the hub: JetStream domain `hub`, accepting leaf nodes) on random ports
 * and a temporary store, with TLS and users: `setup` (may do anything; tests use it to set up
 * streams and to drive), `core` (the core's least privilege), plus `users`. `leaf` puts the
 * leaf node port behind a link: the hub listens on `port` and tells sites to reconnect
 * through `advertise`.
 */
export function startTestNats(
  users: readonly NatsUser[] = [],
  leaf: { port: number; advertise: string; users?: readonly LeafCredentials[] } = { port: 0, advertise: '' },
): Promise<TestNats> {
  const all = hubUsers(users);
  return startServer('zebra-nats-', all, (storeDir) => ({
    storeDir,
    port: 0,
    name: 'hub',
    domain: HUB_DOMAIN,
    leafListenPort: leaf.port,
    leafAdvertise: leaf.advertise || undefined,
    leafUsers: leaf.users ?? [TEST_LEAF_CREDENTIALS],
    logFile: `${storeDir}/nats-server.log`,
  }));
}

/** The hub's users: `setup`, `core` (its least privilege) and `extra`. */
export function hubUsers(extra: readonly NatsUser[] = []): NatsUser[] {
  return mergeUsers([testUser(NATS_SETUP_USER), testUser(NATS_CORE_USER, corePermissions(TEST_INGEST_DURABLE))], extra);
}

/** The users of a test site's leaf node for these devices and controllers. */
export function siteUsers(
  siteId: string,
  devices: readonly string[] = [],
  controllers: readonly string[] = [],
): NatsUser[] {
  return [
    testUser(NATS_SETUP_USER),
    ...devices.map((d) => testUser(d, siteDevicePermissions(siteId, d))),
    ...controllers.map((c) => testUser(`controller-${c}`, controllerPermissions(siteId, c))),
  ];
}

/**
 * A site's leaf node: JetStream domain = the site id, connected to the hub at `hubLeafUrl`
 * (or any of several, for a clustered hub) over TLS, signing in with `credentials`. Users: `setup`, one per device (named as the
 * device, with its least privilege) and `controller-<id>` per signal controller. With devices,
 * the site's outbox is set up for them (as `zebra nats setup site` would).
 */
export async function startTestSite(
  siteId: string,
  hubLeafUrl: string | readonly string[],
  credentials: LeafCredentials = TEST_LEAF_CREDENTIALS,
  people: { devices?: readonly string[]; controllers?: readonly string[] } = {},
): Promise<TestNats> {
  const site = await startSiteServer(siteId, hubLeafUrl, credentials, people);
  if (people.devices?.length) {
    await setupTestSiteOutbox(site, siteId, people.devices).catch(async (err: unknown) => {
      await site[Symbol.asyncDispose]();
      throw err;
    });
  }
  return site;
}

function startSiteServer(
  siteId: string,
  hubLeafUrl: string | readonly string[],
  credentials: LeafCredentials,
  people: { devices?: readonly string[]; controllers?: readonly string[] },
): Promise<TestNats> {
  return startServer(`zebra-${siteId}-`, siteUsers(siteId, people.devices, people.controllers), (storeDir) => ({
    storeDir,
    port: 0,
    name: `leaf-${siteId}`,
    domain: siteId,
    leafRemoteUrl: hubLeafUrl,
    leafCredentials: credentials,
    logFile: `${storeDir}/nats-server.log`,
  }));
}
