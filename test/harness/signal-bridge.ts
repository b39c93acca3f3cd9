import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { stringify } from 'yaml';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignalControllerSimulator } from '../../cli/signal-simulator.js';
import type { SimulatorOptions } from '../../cli/signal-simulator.js';
import { createEdgeLogger } from '../../edge/logger.js';
import { SignalBridge, parseBridgeConfig } from '../../edge/signal/bridge/index.js';
import type { SnmpCredentials } from '../../edge/signal/bridge/index.js';
import { ControllerSignalSource } from '../../edge/signal/controller-source.js';
import { loadPinnedKey } from '../../edge/pinned-key.js';
import type { Schedule } from '../../edge/signal/schedule.js';
import { controllerPermissions } from '../../proto/index.js';
import { createLogSink } from './log-sink.js';
import type { LogSink } from './log-sink.js';
import { startTestNats, testUser } from './nats.js';
import type { TestNats } from './nats.js';
import { tempDir } from './temp.js';
import type { TempDir } from './temp.js';

export const SITE = 'site-1';
export const CONTROLLER = 'ctl-1';
export const PHASE = 2;

/** A short cycle: every aspect within 2.4 s. */
export const SHORT_CYCLE: Schedule = {
  id: 'short',
  version: 1,
  offsetMs: 0,
  cycle: [
    { aspect: 'walk', durationMs: 800 },
    { aspect: 'flashing_dont_walk', durationMs: 800 },
    { aspect: 'steady_dont_walk', durationMs: 800 },
  ],
};

export const V2C: SnmpCredentials = { version: 'v2c', community: 'zebra-ro-community' };
export const V3: Extract<SnmpCredentials, { version: 'v3' }> = {
  version: 'v3',
  user: 'zebra',
  authProtocol: 'sha',
  authKey: 'auth-passphrase-1',
  privProtocol: 'aes',
  privKey: 'priv-passphrase-1',
};

/** A real nats-server with the controller's own user, a temp folder and a log sink. */
export interface BridgeWorld extends AsyncDisposable {
  readonly nats: TestNats;
  readonly work: TempDir;
  readonly edgeNc: NatsConnection;
  /** Writes the bridge's files and its config (YAML); returns the config file. */
  writeBridgeConfig(
    simulatorPort: number,
    credentials: SnmpCredentials,
    extra?: Record<string, unknown>,
  ): Promise<string>;
  /** Writes the bridge's files and returns its parsed config. */
  bridgeConfig(
    simulatorPort: number,
    credentials: SnmpCredentials,
    extra?: Record<string, unknown>,
  ): Promise<ReturnType<typeof parseBridgeConfig>>;
}

export async function bridgeWorld(): Promise<BridgeWorld> {
  const work = await tempDir();
  const controllerUser = testUser(`controller-${CONTROLLER}`, controllerPermissions(SITE, CONTROLLER));
  const nats = await startTestNats([controllerUser]);
  const edgeNc = await nats.connect();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(join(work.path, 'bridge.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(work.path, 'bridge.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  // Someone else's key: an edge that pins it must refuse every report of the bridge.
  const other = generateKeyPairSync('ed25519').publicKey;
  await writeFile(join(work.path, 'other.pub.pem'), other.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(work.path, 'nats-password'), controllerUser.password);
  const raw = async (
    port: number,
    credentials: SnmpCredentials,
    extra: Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    const secret = async (name: string, value: string): Promise<string> => {
      await writeFile(join(work.path, name), `${value}\n`, { mode: 0o600 });
      return name;
    };
    const snmp =
      credentials.version === 'v2c'
        ? { version: 'v2c', communityFile: await secret('community', credentials.community) }
        : {
            version: 'v3',
            user: credentials.user,
            authProtocol: credentials.authProtocol,
            authKeyFile: await secret('auth-key', credentials.authKey),
            privProtocol: credentials.privProtocol,
            privKeyFile: await secret('priv-key', credentials.privKey),
          };
    return {
      siteId: SITE,
      controllerId: CONTROLLER,
      logLevel: 'debug',
      // 300 ms: a simulator on a loaded 2-core machine missed 150 ms once in CI, which the bridge
      // rightly took for a silent controller (a fault the test did not cause).
      controller: { host: '127.0.0.1', port, snmp, timeoutMs: 300 },
      pedestrianPhase: PHASE,
      pollIntervalMs: 50,
      publishEveryMs: 200,
      frozenAfterMs: 300,
      keyFile: 'bridge.key',
      nats: {
        servers: [nats.url],
        user: controllerUser.user,
        passwordFile: 'nats-password',
        caFile: nats.caFile,
      },
      ...extra,
    };
  };
  return {
    nats,
    work,
    edgeNc,
    async writeBridgeConfig(port, credentials, extra = {}) {
      const file = join(work.path, 'signal-bridge.yaml');
      await writeFile(file, stringify(await raw(port, credentials, extra)));
      return file;
    },
    async bridgeConfig(port, credentials, extra = {}) {
      return parseBridgeConfig(await raw(port, credentials, extra), work.path, 'test bridge config');
    },
    async [Symbol.asyncDispose]() {
      await edgeNc.close();
      await nats[Symbol.asyncDispose]();
      await work[Symbol.asyncDispose]();
    },
  };
}

export async function startSimulator(
  credentials: SnmpCredentials,
  options: Partial<SimulatorOptions> = {},
): Promise<SignalControllerSimulator> {
  return SignalControllerSimulator.start({ credentials, schedule: SHORT_CYCLE, phase: PHASE, ...options });
}

export async function startBridge(
  config: ReturnType<typeof parseBridgeConfig>,
): Promise<{ bridge: SignalBridge; logs: LogSink }> {
  const logs = createLogSink();
  const bridge = await SignalBridge.start(config, createEdgeLogger('debug', logs.stream));
  return { bridge, logs };
}

/** The edge's side: a feed that pins the bridge's public key (or `keyFile`, another one). */
export async function edgeFeed(
  world: BridgeWorld,
  staleAfterMs: number,
  keyFile = join(world.work.path, 'bridge.pub.pem'),
): Promise<ControllerSignalSource> {
  const key = await loadPinnedKey(keyFile, 'cameras.cam-1.signal.controller.keyFile', 'copy the bridge key');
  const source = ControllerSignalSource.subscribe(
    world.edgeNc,
    SITE,
    { controllerId: CONTROLLER, key, staleAfterMs, maxClockOffsetMs: 500, keepMs: 60_000 },
    { cameraId: 'cam-1', logger: createEdgeLogger('warn', createLogSink().stream) },
  );
  await world.edgeNc.flush();
  return source;
}

/** The simulator in a child process; resolves with its port once it answers. */
export async function spawnSimulator(
  options: SimulatorOptions,
): Promise<{ port: number; child: ChildProcessByStdio<null, Readable, Readable> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, 'signal-simulator-main.ts'), JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const port = await new Promise<number>((resolvePort, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /\{"port":(\d+)\}/.exec(output);
      if (match) resolvePort(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the simulator exited with code ${code}: ${output}`)));
  });
  return { port, child };
}
