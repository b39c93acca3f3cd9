import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { fetchEvents, formatEventTable } from './events.js';
import { DEMO_PEOPLE, createDemoPeople } from './people.js';
import { registerDevice } from './devices.js';
import { loadEdgeConfig, loadOrCreateDeviceKey } from '../edge/index.js';
import { HUB_DOMAIN } from '../proto/index.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadCoreConfig } from '../core/index.js';
import { startDemoNats } from './demo-nats.js';
import { DEMO_CONTROLLER, startDemoSignal } from './demo-signal.js';
import type { DemoSignal } from './demo-signal.js';
import { connectAsSetup, setupHub, setupSite } from './nats-setup.js';
import { freePort, stopProcess } from './nats-server.js';
import type { NatsServerHandle } from './nats-server.js';
import { untilSignal } from './output.js';
import { ensureDemoTools } from './system-tools.js';
import { loopbackPki } from './pki.js';
import { httpsRequest, loadClientTls } from './client-tls.js';
import { DEFAULT_GRPC_LISTEN, DEFAULT_HTTP_LISTEN } from '../core/config.js';
import type { ClientTls } from './client-tls.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(REPO, '.zebra', 'demo');
const CLI = join(REPO, 'bin', 'zebra.js');

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Runs `work` on a connection as the setup identity, then closes it. */
async function runSetup(
  url: string,
  caFile: string,
  password: string,
  work: (nc: NatsConnection) => Promise<void>,
): Promise<void> {
  const nc = await connectAsSetup([url], caFile, password);
  try {
    await work(nc);
  } finally {
    await nc.close();
  }
}

async function writeConfig(
  template: string,
  target: string,
  patch: (c: Record<string, unknown>) => void,
): Promise<string> {
  const config = parse(await readFile(template, 'utf8')) as Record<string, unknown>;
  patch(config);
  await writeFile(target, stringify(config));
  return target;
}

function spawnZebra(args: string[], logFile: string): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function fetchText(url: string, tls: ClientTls): Promise<string> {
  const res = await httpsRequest(url, tls);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.text();
}

async function waitForHealth(
  url: string,
  tls: ClientTls,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the core exited with code ${child.exitCode}; see ${logFile}`);
    const ok = await httpsRequest(url, tls).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the core did not become healthy within ${timeoutMs} ms; see ${logFile}`);
}

/** Follows the edge's JSON log and prints what a person wants to see. */
function followEdge(child: ChildProcess): void {
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let entry: {
      msg?: string;
      eventId?: string;
      trackId?: number;
      frames?: number;
      eventsPublished?: number;
      level?: number;
    };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry.msg === 'detector loaded')
      say('  edge: YOLOX-nano loaded; playing vtest.avi as a live camera (80 s), detecting at 5 fps');
    if (entry.msg === 'infraction published')
      say(`  edge: infraction published (track ${entry.trackId}, event ${entry.eventId})`);
    if (entry.msg === 'camera source ended')
      say(`  edge: video done: ${entry.frames} frames, ${entry.eventsPublished} events`);
    if ((entry.level ?? 0) >= 50) say(`  edge error: ${entry.msg}`);
  });
}

async function waitForEvents(
  server: string,
  token: string,
  tls: ClientTls,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = (await fetchEvents(server, token, tls, 500).catch(() => ({ events: [] }))).events.length;
    if (seen >= expected) return seen;
    await new Promise((r) => setTimeout(r, 300));
  }
  return seen;
}

/** `zebra demo`: nats-server, the core on PGlite, the edge on the sample video, then the results. */
export async function runDemo(values: { once?: boolean; signal?: string }): Promise<number> {
  const signal = values.signal ?? 'schedule';
  if (signal !== 'schedule' && signal !== 'snmp')
    throw new Error(`--signal ${signal}: use schedule (the default) or snmp`);
  const isSnmp = signal === 'snmp';
  const children: ChildProcess[] = [];
  let demoSignal: DemoSignal | undefined;
  let nats: NatsServerHandle | undefined;
  let siteNats: NatsServerHandle | undefined;
  const stopAll = async (): Promise<void> => {
    for (const child of children.reverse()) await stopProcess(child);
    await demoSignal?.simulator.close();
    await siteNats?.stop();
    await nats?.stop();
  };
  const interrupted = untilSignal().then(async () => {
    say('\nstopping…');
    await stopAll();
    return 130;
  });
  const run = async (): Promise<number> => {
    ensureDemoTools(say);
    const sharedData = resolve(REPO, '..', 'shared', 'data');
    if (!process.env.ZEBRA_MODELS_MIRROR && existsSync(sharedData)) process.env.ZEBRA_MODELS_MIRROR = sharedData;
    await rm(WORK, { recursive: true, force: true });
    await mkdir(join(WORK, 'logs'), { recursive: true });
    // A private CA and a loopback certificate: the API and the console are TLS only.
    const pki = await loopbackPki(join(WORK, 'pki'));
    const tls = await loadClientTls({ caFile: pki.caFile });
    const serverTls = { certFile: pki.certFile, keyFile: pki.keyFile };
    say('zebra demo: fetching and verifying models');
    const fetched = spawn(process.execPath, [CLI, 'models', 'fetch'], { stdio: 'inherit' });
    if ((await new Promise<number | null>((r) => fetched.once('exit', r))) !== 0) return 1;
    const demoEdge = parse(await readFile(join(REPO, 'edge/demo/edge.yaml'), 'utf8')) as {
      siteId: string;
      deviceId: string;
    };
    const siteId = String(demoEdge.siteId);
    // TLS from a private CA made for this run; every process signs in as itself with least privilege.
    const demoNats = await startDemoNats(WORK, {
      siteId,
      deviceId: String(demoEdge.deviceId),
      ingestDurable: 'core-ingest',
      controllers: isSnmp ? [DEMO_CONTROLLER] : [],
    });
    nats = demoNats.hub;
    siteNats = demoNats.site;
    say(`  hub nats-server with JetStream (domain ${HUB_DOMAIN}) on ${nats.url}, TLS (CA ${demoNats.tls.caFile})`);
    const grpcAddr = `127.0.0.1:${await freePort(Number(DEFAULT_GRPC_LISTEN.split(':')[1]))}`;
    const httpAddr = `127.0.0.1:${await freePort(Number(DEFAULT_HTTP_LISTEN.split(':')[1]))}`;
    const edgeHttpAddr = `127.0.0.1:${await freePort(9464)}`;
    const natsClient = (url: string, id: { user: string; passwordFile: string }): Record<string, unknown> => ({
      servers: [url],
      user: id.user,
      passwordFile: id.passwordFile,
      caFile: demoNats.tls.caFile,
    });
    const coreConfig = await writeConfig(join(REPO, 'core/demo/core.yaml'), join(WORK, 'core.yaml'), (c) => {
      Object.assign(c, {
        nats: natsClient(nats!.url, demoNats.core),
        grpc: { listen: grpcAddr, tls: serverTls },
        http: { listen: httpAddr, tls: serverTls },
      });
      c.database = { pgliteDir: join(WORK, 'core-db') };
      c.audit = { ...(c.audit as object), signingKeyFile: join(WORK, 'audit-signing-key.pem') };
      c.auth = { ...(c.auth as object), bootstrapTokenFile: join(WORK, 'admin-token') };
    });
    await runSetup(nats.url, demoNats.tls.caFile, demoNats.hubSetup.password, async (nc) =>
      setupHub(nc, await loadCoreConfig(coreConfig, process.env)),
    );
    say(`  site leaf node (domain ${siteId}) on ${siteNats.url}, linked to the hub over TLS as user ${siteId}`);
    if (isSnmp) {
      demoSignal = await startDemoSignal(
        WORK,
        REPO,
        { url: siteNats.url, caFile: demoNats.tls.caFile, identity: demoNats.controllers[0]!, siteId },
        spawnZebra,
      );
      children.push(demoSignal.bridge);
      say(
        `  signal: simulated NTCIP 1202 controller (SNMPv3 authPriv, 127.0.0.1:${demoSignal.simulator.port}); ` +
          `zebra signal bridge publishes signed reports as controller-${DEMO_CONTROLLER} (log ${demoSignal.logFile})`,
      );
    }
    const edgeConfig = await writeConfig(join(REPO, 'edge/demo/edge.yaml'), join(WORK, 'edge.yaml'), (c) => {
      Object.assign(c, {
        nats: natsClient(siteNats!.url, demoNats.device),
        stateDir: join(WORK, 'edge-state'),
        // The device's /healthz and /metrics, over TLS like everything else.
        http: { listen: edgeHttpAddr, tls: serverTls },
      });
      c.outbox = { ...(c.outbox as object), coreKeyFile: join(WORK, 'core-receipt-key.pem') };
      for (const camera of c.cameras as { signal: object }[]) {
        const { schedule } = camera.signal as { schedule: string };
        camera.signal = demoSignal ? demoSignal.edgeSignal : { schedule: join(REPO, 'edge/demo', schedule) };
      }
      // The simulated controller and the bridge share this machine's clock, so their offset is 0;
      // whether the machine itself is synchronised is not the demo's business (a site's is).
      if (demoSignal) c.clock = { source: 'ignore' };
    });
    if (demoSignal)
      say(
        `  clock: the demo does not ask the system whether its clock is synchronised; a site does (docs/field.md, "Clock")`,
      );
    await runSetup(siteNats.url, demoNats.tls.caFile, demoNats.siteSetup.password, async (nc) =>
      setupSite(nc, await loadEdgeConfig(edgeConfig, process.env)),
    );
    say('  streams set up by the setup identity; the core and the device run with least privilege');
    const coreLog = join(WORK, 'logs', 'core.log');
    children.push(spawnZebra(['core', 'run', '--config', coreConfig], coreLog));
    await waitForHealth(`https://${httpAddr}/healthz`, tls, children[0]!, coreLog, 60_000);
    say(
      `  core on PGlite: gRPC over TLS ${grpcAddr}, console https://${httpAddr}/ (certificates in ${join(WORK, 'pki')})`,
    );
    const adminToken = (await readFile(join(WORK, 'admin-token'), 'utf8')).trim();
    const tokens = await createDemoPeople(grpcAddr, adminToken, tls, join(WORK, 'tokens'));
    say(
      `  people: ${DEMO_PEOPLE.map((p) => `${p.userId} (${p.roles.join(', ')})`).join(', ')}; tokens in ${join(WORK, 'tokens')}`,
    );
    const auditorToken = (await readFile(tokens.get('ada')!, 'utf8')).trim();
    const edgeSettings = await loadEdgeConfig(edgeConfig, process.env);
    const deviceKey = await loadOrCreateDeviceKey(join(edgeSettings.stateDir, 'device-key.pem'));
    await registerDevice(grpcAddr, adminToken, tls, {
      deviceId: edgeSettings.deviceId,
      siteId: edgeSettings.siteId,
      publicKeyPem: deviceKey.publicKeyPem,
    });
    say(`  device ${edgeSettings.deviceId} registered with key ${deviceKey.keyId}`);
    // The device pins the core's receipt key, as a technician does at setup.
    const coreKey = await fetchText(`https://${httpAddr}/api/audit/public-key`, tls);
    await writeFile(edgeSettings.outbox!.coreKeyFile, coreKey);
    say(`  the device pins the core's receipt key (${edgeSettings.outbox!.coreKeyFile})`);
    const edgeLog = join(WORK, 'logs', 'edge.log');
    const edge = spawn(process.execPath, [CLI, 'edge', 'run', '--config', edgeConfig], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(edge);
    const edgeLogStream = createWriteStream(edgeLog);
    edge.stdout.pipe(edgeLogStream);
    edge.stderr.pipe(edgeLogStream);
    say(`  edge health and metrics while it runs: https://${edgeHttpAddr}/healthz and /metrics`);
    say(`            curl --cacert ${pki.caFile} https://${edgeHttpAddr}/metrics`);
    followEdge(edge);
    const edgeCode = await new Promise<number | null>((r) => edge.once('exit', r));
    if (edgeCode !== 0) {
      say(`the edge exited with code ${edgeCode}; see ${edgeLog}`);
      return 1;
    }
    const published = Number(
      (await readFile(edgeLog, 'utf8')).split('\n').filter((l) => l.includes('"infraction published"')).length,
    );
    const stored = await waitForEvents(grpcAddr, auditorToken, tls, published, 30_000);
    say('');
    process.stdout.write(formatEventTable((await fetchEvents(grpcAddr, auditorToken, tls, 50)).events));
    say(`\n${stored} of ${published} published events are in the database.`);
    say(`  console:  https://${httpAddr}/   sign in with a token from ${join(WORK, 'tokens')} (e.g. rita, ada)`);
    say(`            the demo's private CA is ${pki.caFile}: the browser warns until you import it as an authority`);
    say('            (Chromium: Settings > Privacy and security > Security > Manage certificates > Authorities)');
    const tokenOf = (user: string): string => `--ca ${pki.caFile} --token-file ${tokens.get(user)}`;
    say(`  list:     npm run -s zebra -- events list --server ${grpcAddr} ${tokenOf('rita')}`);
    say(`  audit:    npm run -s zebra -- audit export --server ${grpcAddr} ${tokenOf('ada')} -o audit.ndjson`);
    say(`            npm run -s zebra -- audit public-key --http ${httpAddr} --ca ${pki.caFile} -o audit-key.pem`);
    say('            npm run -s zebra -- audit verify audit.ndjson --public-key audit-key.pem');
    say(`  metrics:  curl --cacert ${pki.caFile} https://${httpAddr}/metrics    logs: ${join(WORK, 'logs')}`);
    if (values.once) return stored > 0 && stored === published ? 0 : 1;
    say('\nThe core keeps running. Press Ctrl-C to stop everything.');
    return interrupted;
  };
  const code = await Promise.race([run(), interrupted]).catch((err: unknown) => {
    say(`zebra demo: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  });
  await stopAll();
  return code;
}
