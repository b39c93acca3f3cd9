import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { LEAF_LOCAL_SUBJECTS, renderNatsAuthorization } from '../proto/index.js';
import type { NatsUser } from '../proto/index.js';

export interface NatsServerOptions {
  /** JetStream store folder; also holds the generated config and the ports file. */
  readonly storeDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Server name. */
  readonly name?: string;
  /** JetStream domain: `hub` on the hub, the site id on a site's leaf node. */
  readonly domain?: string;
  /** Hub only: accept site leaf nodes on this port (0 picks a free one). */
  readonly leafListenPort?: number;
  /** Hub only: the host:port sites are told to (re)connect to, e.g. a gateway in front of the hub. */
  readonly leafAdvertise?: string;
  /** Hub only: the sites that may attach as leaf nodes (required with `leafListenPort`). */
  readonly leafUsers?: readonly LeafCredentials[];
  /**
   * Site only: the hub's leaf node URL this server connects to; several for a clustered hub
   * (the leaf node tries them in turn and moves to another when its node goes).
   */
  readonly leafRemoteUrl?: string | readonly string[];
  /** Site only: what this site's leaf node signs in to the hub with. */
  readonly leafCredentials?: LeafCredentials;
  readonly startTimeoutMs?: number;
  /** Users and their permissions: at least one; nobody connects without a user. */
  readonly users: readonly NatsUser[];
  /**
   * TLS for clients and leaf links: the server's certificate and key, and the CA that signed
   * them (a site's leaf node checks the hub's certificate against it). Required.
   */
  readonly tls: NatsTlsFiles;
  /** The server's own log; default: none (stderr is kept for startup errors). */
  readonly logFile?: string;
  /** Hub only: this server is one node of a JetStream cluster (see {@link NatsClusterOptions}). */
  readonly cluster?: NatsClusterOptions;
}

/**
 * One node's part of a clustered hub: routes to the other nodes over TLS (both ends present
 * the certificate from `tls`, signed by its CA), and a route user every node signs in with;
 * there is no cleartext and no anonymous route. JetStream replicates streams over these routes.
 */
export interface NatsClusterOptions {
  /** The cluster's name, the same on every node. */
  readonly name: string;
  /** This node's route port on 127.0.0.1. */
  readonly port: number;
  /** The other nodes' route addresses, host:port (at least one). */
  readonly routes: readonly string[];
  /** What nodes sign in to each other's route port with. */
  readonly credentials: RouteCredentials;
}

/** The route user of a cluster: one user and secret shared by its nodes. */
export interface RouteCredentials {
  readonly user: string;
  readonly password: string;
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  /** The leaf node port, on a hub started with `leafListenPort`. */
  readonly leafPort?: number;
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL now, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface NatsTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

export const NATS_INSTALL_HINT = 'apt-get install -y nats-server';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The lowest port the kernel hands out for `listen(0)` (Linux's ip_local_port_range), or
 * undefined where that cannot be read.
 */
function ephemeralPortsFrom(): number | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 11_000 ? low : undefined;
  } catch {
    return undefined;
  }
}

/** Listens on `port`, or on a random port below the kernel's ephemeral range, or on any. */
function listenOnFreePort(server: Server, port: number): Promise<number> {
  const attempt = (p: number): Promise<number> =>
    new Promise((resolvePort, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        resolvePort((server.address() as { port: number }).port);
      });
    });
  if (port !== 0) return attempt(port);
  // Below the ephemeral range: a server another process starts with port 0 (a nats-server
  // with `-p -1`, a test's listener) can never be given the port between this pick and its use.
  const high = ephemeralPortsFrom();
  const tryRandom = async (left: number): Promise<number> => {
    if (high === undefined || left === 0) return attempt(0);
    return attempt(10_000 + Math.floor(Math.random() * (high - 10_000))).catch(() => tryRandom(left - 1));
  };
  return tryRandom(20);
}

/** A TCP port on 127.0.0.1 that was free a moment ago: `preferred` if it is, else any. */
export async function freePort(preferred = 0): Promise<number> {
  const pick = async (port: number): Promise<number> => {
    const server = createServer();
    try {
      return await listenOnFreePort(server, port);
    } finally {
      if (server.listening) await new Promise<void>((done) => server.close(() => done()));
    }
  };
  return pick(preferred).catch(() => pick(0));
}

/**
 * `count` distinct TCP ports on 127.0.0.1 that were free a moment ago. All are held open at
 * once while they are picked, so two calls in a row cannot hand out the same port (one
 * `freePort()` after another can: the kernel may give a just-closed port again).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(servers.map((server) => listenOnFreePort(server, 0)));
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((done) => (server.listening ? server.close(() => done()) : done()))),
    );
  }
}

/**
 * The client port a nats-server started with `-p -1 --ports_file_dir DIR` wrote down, once it
 * has: undefined before the file exists and while it is still being written (not yet whole JSON).
 */
export async function readPortsFile(dir: string, pid: number): Promise<number | undefined> {
  const file = (await readdir(dir)).find((f) => f.endsWith(`_${pid}.ports`));
  if (!file) return undefined;
  const text = await readFile(join(dir, file), 'utf8');
  let ports: { nats?: string[] };
  try {
    ports = JSON.parse(text) as { nats?: string[] };
  } catch {
    return undefined;
  }
  const url = ports.nats?.[0];
  return url ? Number(new URL(url).port) : undefined;
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** SIGKILL, as a crash or `kill -9` would; resolves once the process is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await gone;
}

/** A site's user on the hub's leaf node port: the site id and a secret. */
export interface LeafCredentials {
  readonly user: string;
  readonly password: string;
}

/** The remote's URL with the site's credentials in it, as nats-server takes them. */
function remoteUrl(url: string, credentials: LeafCredentials | undefined): string {
  if (!credentials) throw new Error('a site leaf node needs leafCredentials: the hub admits only sites that sign in');
  const withUser = new URL(url.replace(/^nats:/, 'tls:'));
  withUser.username = credentials.user;
  withUser.password = credentials.password;
  return withUser.toString();
}

const list = (items: readonly string[]): string => `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;

/** Route secrets shorter than this are refused: a guessed one lets a server join the cluster. */
export const MIN_ROUTE_PASSWORD_LENGTH = 16;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const HOST_PORT = /^[^\s:/@]+:\d{1,5}$/;

/** Checks a cluster section; throws naming the key. */
export function validateCluster(cluster: NatsClusterOptions, serverName: string | undefined): void {
  const fail = (key: string, message: string): never => {
    throw new Error(`cluster.${key}: ${message}`);
  };
  if (!NAME.test(cluster.name)) fail('name', 'must be 1-64 letters, digits, - or _');
  if (!Number.isInteger(cluster.port) || cluster.port < 1 || cluster.port > 65_535)
    fail('port', 'must be a port number (1-65535); every node needs a fixed one its peers can name');
  if (cluster.routes.length === 0) fail('routes', 'at least one other node (host:port) is required');
  cluster.routes.forEach((r, i) => {
    if (!HOST_PORT.test(r)) fail(`routes[${i}]`, `must be host:port, not ${JSON.stringify(r)}`);
  });
  if (!NAME.test(cluster.credentials.user)) fail('credentials.user', 'must be 1-64 letters, digits, - or _');
  if (cluster.credentials.password.length < MIN_ROUTE_PASSWORD_LENGTH)
    fail('credentials.password', `must be at least ${MIN_ROUTE_PASSWORD_LENGTH} characters`);
  if (!serverName) throw new Error('name: each cluster node needs its own server name');
}

/** The route URL of a peer, with the cluster's route user in it. */
function routeUrl(hostPort: string, credentials: RouteCredentials): string {
  const url = new URL(`nats-route://${hostPort}`);
  url.username = encodeURIComponent(credentials.user);
  url.password = encodeURIComponent(credentials.password);
  return url.toString();
}

/** The `cluster { ... }` block of a node: TLS with client certificates both ways, a route user. */
export function renderClusterSection(cluster: NatsClusterOptions, tls: NatsTlsFiles, listenHost = '127.0.0.1'): string {
  const { user, password } = cluster.credentials;
  return (
    `cluster { name: ${JSON.stringify(cluster.name)}, listen: "${listenHost}:${cluster.port}", ` +
    `tls { cert_file: ${JSON.stringify(tls.certFile)}, key_file: ${JSON.stringify(tls.keyFile)}, ` +
    `ca_file: ${JSON.stringify(tls.caFile)}, verify: true, timeout: 5 }, ` +
    `authorization { user: ${JSON.stringify(user)}, password: ${JSON.stringify(password)}, timeout: 5 }, ` +
    `routes: ${list(cluster.routes.map((r) => routeUrl(r, cluster.credentials)))} }`
  );
}

/**
 * The nats-server config file. A site's leaf node keeps the site's own event, tally and
 * evidence subjects off the link in both directions: the hub takes them only by sourcing the
 * site's streams, so nothing is stored twice while the link is up.
 */
export function renderNatsConfig(options: NatsServerOptions, leafPort: number | undefined): string {
  const tls = (files: Partial<NatsTlsFiles>): string =>
    `tls { ${Object.entries({ cert_file: files.certFile, key_file: files.keyFile, ca_file: files.caFile })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join(', ')}, timeout: 5 }`;
  const lines = [
    `server_name: ${JSON.stringify(options.name ?? 'zebra')}`,
    `jetstream { store_dir: ${JSON.stringify(options.storeDir)}${options.domain ? `, domain: ${JSON.stringify(options.domain)}` : ''} }`,
    tls(options.tls),
    renderNatsAuthorization(options.users),
  ];
  if (leafPort !== undefined) {
    const leafUsers = options.leafUsers ?? [];
    if (leafUsers.length === 0) throw new Error('a leaf node port needs leafUsers: sites sign in as themselves');
    const advertise = options.leafAdvertise ? `, advertise: ${JSON.stringify(options.leafAdvertise)}` : '';
    const users = leafUsers.map((u) => `{ user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)} }`);
    lines.push(
      `leafnodes { listen: "127.0.0.1:${leafPort}"${advertise}, ${tls(options.tls)}, ` +
        `authorization { timeout: 5, users = [ ${users.join(', ')} ] } }`,
    );
  }
  if (options.cluster) {
    validateCluster(options.cluster, options.name);
    lines.push(renderClusterSection(options.cluster, options.tls));
  }
  const remotes = typeof options.leafRemoteUrl === 'string' ? [options.leafRemoteUrl] : (options.leafRemoteUrl ?? []);
  if (remotes.length > 0) {
    const urls = remotes.map((u) => remoteUrl(u, options.leafCredentials));
    lines.push(
      `leafnodes { reconnect: 1, remotes: [ { urls: ${list(urls)}, ${tls({ caFile: options.tls.caFile })}, ` +
        `deny_exports: ${list(LEAF_LOCAL_SUBJECTS)}, deny_imports: ${list(LEAF_LOCAL_SUBJECTS)} } ] }`,
    );
  }
  if (options.logFile) lines.push(`log_file: ${JSON.stringify(options.logFile)}`);
  return `${lines.join('\n')}\n`;
}

/** Starts nats-server with JetStream on 127.0.0.1 and waits until it accepts connections. */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  await mkdir(options.storeDir, { recursive: true });
  const leafPort = options.leafListenPort === undefined ? undefined : options.leafListenPort || (await freePort());
  const configFile = join(options.storeDir, 'nats-server.conf');
  await writeFile(configFile, renderNatsConfig(options, leafPort), { mode: 0o600 });
  const args = ['-a', '127.0.0.1', '-p', options.port === 0 ? '-1' : String(options.port), '-c', configFile];
  args.push('--ports_file_dir', options.storeDir);
  const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new Error(`cannot start nats-server (${err.message}); install it with: ${NATS_INSTALL_HINT}`)),
    );
    child.once('exit', (code) => reject(new Error(`nats-server exited with code ${code}: ${stderr.trim()}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  const ready = (async () => {
    while (Date.now() < deadline) {
      const port = options.port || (await readPortsFile(options.storeDir, child.pid!));
      if (port && (await portOpen(port))) return port;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `nats-server did not accept connections within ${options.startTimeoutMs ?? 15_000} ms: ${stderr.trim()}`,
    );
  })();
  try {
    const port = await Promise.race([ready, failed]);
    return {
      url: `nats://127.0.0.1:${port}`,
      port,
      leafPort,
      process: child,
      stop: () => stopProcess(child),
      kill: () => killProcess(child),
    };
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
}
