import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadSchedule } from '../edge/signal/schedule.js';
import type { NatsIdentity } from './demo-nats.js';
import { SignalControllerSimulator } from './signal-simulator.js';

export const DEMO_CONTROLLER = 'ctl-1';
const DEMO_PHASE = 2;

export interface DemoSignal {
  /** What the edge config's cameras[].signal becomes. */
  readonly edgeSignal: { controller: { id: string; keyFile: string } };
  readonly simulator: SignalControllerSimulator;
  readonly bridge: ChildProcess;
  readonly logFile: string;
}

async function waitForLine(file: string, text: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the signal bridge exited with code ${child.exitCode}; see ${file}`);
    if ((await readFile(file, 'utf8').catch(() => '')).includes(text)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the signal bridge did not start within ${timeoutMs} ms; see ${file}`);
}

/**
 * The demo's signal the way a site has it: a simulated NTCIP 1202 controller (SNMPv3 authPriv
 * on loopback) playing the demo schedule, and `zebra signal bridge` reading it and publishing
 * signed reports as `controller-ctl-1`. The edge pins the bridge's public key.
 */
export async function startDemoSignal(
  work: string,
  repo: string,
  nats: { url: string; caFile: string; identity: NatsIdentity; siteId: string },
  spawnZebra: (args: string[], logFile: string) => ChildProcess,
): Promise<DemoSignal> {
  const dir = join(work, 'signal');
  await mkdir(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keyFile = join(dir, 'bridge.key');
  const publicKeyFile = join(dir, 'bridge.pub.pem');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const authKey = randomBytes(18).toString('base64url');
  const privKey = randomBytes(18).toString('base64url');
  const authKeyFile = join(work, 'secrets', 'snmp-auth');
  const privKeyFile = join(work, 'secrets', 'snmp-priv');
  await writeFile(authKeyFile, `${authKey}\n`, { mode: 0o600 });
  await writeFile(privKeyFile, `${privKey}\n`, { mode: 0o600 });
  const simulator = await SignalControllerSimulator.start({
    credentials: { version: 'v3', user: 'zebra-bridge', authProtocol: 'sha', authKey, privProtocol: 'aes', privKey },
    schedule: await loadSchedule(join(repo, 'edge/demo/signal-schedule.yaml')),
    phase: DEMO_PHASE,
  });
  const template = parse(await readFile(join(repo, 'edge/demo/signal-bridge.yaml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const config = {
    ...template,
    siteId: nats.siteId,
    controllerId: DEMO_CONTROLLER,
    controller: {
      ...template.controller,
      port: simulator.port,
      snmp: { ...(template.controller!.snmp as object), authKeyFile, privKeyFile },
    },
    pedestrianPhase: DEMO_PHASE,
    keyFile,
    nats: {
      servers: [nats.url],
      user: nats.identity.user,
      passwordFile: nats.identity.passwordFile,
      caFile: nats.caFile,
    },
  };
  const configFile = join(work, 'signal-bridge.yaml');
  await writeFile(configFile, stringify(config));
  const logFile = join(work, 'logs', 'signal-bridge.log');
  const bridge = spawnZebra(['signal', 'bridge', '--config', configFile], logFile);
  try {
    await waitForLine(logFile, 'signal bridge started', bridge, 30_000);
  } catch (err) {
    await simulator.close();
    throw err;
  }
  return {
    edgeSignal: { controller: { id: DEMO_CONTROLLER, keyFile: publicKeyFile } },
    simulator,
    bridge,
    logFile,
  };
}
