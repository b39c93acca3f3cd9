import { parseArgs } from 'node:util';
import { GetEventResponse, ListEventsResponse } from '../proto/index.js';
import { createCoreLogger, loadCoreConfig, startCore } from '../core/index.js';
import {
  createEdgeLogger,
  createProgressPrinter,
  defaultCacheDir,
  ensureFile,
  loadEdgeConfig,
  loadManifest,
  mirrorDirsFromEnv,
  startEdge,
} from '../edge/index.js';
import { audit } from './audit.js';
import { evidencePackage } from './evidence-package.js';
import { runDemo } from './demo.js';
import { natsSetup } from './nats-setup.js';
import { redact } from './redact.js';
import { edgeReplay } from './replay.js';
import { fetchEvent, fetchEvents, fetchMissing, formatEventDetail, formatEventTable, resolveToken } from './events.js';
import { devicesRegister, edgePublicKey } from './devices.js';
import { tokensIssue, usersAdd, usersEnrol, usersReset } from './people.js';
import { printError, untilSignal } from './output.js';
import { TLS_OPTIONS, resolveClientTls } from './client-tls.js';
import { pki } from './pki-command.js';
import { signalBridge } from './signal-bridge.js';

const USAGE = `usage: zebra <command> [options]

  demo [--once] [--signal snmp]     run nats-server, the core (PGlite) and the edge on the sample video
                                    (--signal snmp: the signal from a simulated NTCIP controller through the bridge)
  models fetch [--cache DIR]        fetch and verify every file of models/manifest.json
  redact INPUT -o OUTPUT [--method pixelate|solid] [--face-search multi-scale|whole-frame] [--full-every N]
                                    mask faces (any size) and heads in an image, a folder of images or a video
  nats setup hub|site --config FILE --password-file FILE   (setup identity) make the streams the core or a site needs
  core run --config FILE            run the core service
  edge run --config FILE            run an edge worker
  edge replay VIDEO [--config FILE] [--camera ID] [-o DIR]   run the pipeline over a file; write what would be sent
  edge public-key --config FILE     the device's public key (created on first use), to register it
  devices register DEVICE --site SITE --public-key PEM       (admin) events from unregistered devices are quarantined
  users add USER --role ROLE [--role ROLE] [--name NAME]      (admin) prints a one-time enrolment code for USER
                                    roles: reviewer supervisor auditor admin (an admin may not also review)
  users reset USER                  (admin) revokes USER's tokens; prints a new enrolment code
  users enrol --code CODE [--label TEXT] [-o FILE]           your own token, from the code an admin gave you
  tokens issue [--days N] [--label TEXT] [-o FILE]           a new token for your own account, shown once
  events list [--camera ID] [--limit N] [--json]   a table (local times to the ms); --json: the API's JSON
  events show EVENT_ID [--json]
  events fetch-missing DEVICE --camera ID                   (supervisor) look for a camera's gaps in its site's outbox
  audit export [--event ID | --since DATE --until DATE] [-o FILE [--resume]] [--idle-timeout S]   (auditor) the log (NDJSON, streamed), or part with proofs
  audit checkpoint [--http HOST:PORT] [-o FILE]   the current signed checkpoint (over HTTPS): keep it
  audit public-key [--http HOST:PORT] [-o FILE]   the checkpoint key (over HTTPS): pin it
  audit verify FILE --public-key PEM [--checkpoint FILE]   FILE: an export, an extract, or an evidence package PDF
  evidence package EVENT_ID -o FILE.pdf --purpose TEXT [--http HOST:PORT]   (supervisor, auditor, admin) the PDF for a court
  signal bridge --config FILE       read the controller's pedestrian signal over SNMP (NTCIP 1202); publish signed reports
  pki init --dir DIR                the deployment's private CA (ca.pem, ca-key.pem: keep ca-key.pem offline)
  pki issue NAME --dir DIR --host H [--host H...]   a certificate for a service or device, signed by the CA

API commands take --server HOST:PORT (gRPC, default 127.0.0.1:50051), --token-file FILE and --ca FILE (the CA
that signed the core's certificate; the API is TLS only), plus --cert FILE --key FILE when the core asks for
client certificates.

environment: ZEBRA_MODELS_MIRROR, ZEBRA_CACHE_DIR, ZEBRA_NATS_URL, ZEBRA_DATABASE_URL, ZEBRA_GRPC_ADDR, ZEBRA_HTTP_ADDR,
             ZEBRA_TOKEN, ZEBRA_TOKEN_FILE, ZEBRA_CA_FILE, ZEBRA_CERT_FILE, ZEBRA_KEY_FILE
`;

const DEFAULT_GRPC_ADDR = '127.0.0.1:50051';

async function modelsFetch(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { cache: { type: 'string' } } });
  const manifest = await loadManifest();
  const cacheDir = values.cache ?? defaultCacheDir(process.env);
  const onProgress = createProgressPrinter(process.stderr);
  for (const entry of manifest.files) {
    await ensureFile(entry, { cacheDir, mirrorDirs: mirrorDirsFromEnv(process.env), onProgress });
  }
  process.stdout.write(`${manifest.files.length} files verified in ${cacheDir}\n`);
  return 0;
}

async function coreRun(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('core run needs --config FILE');
  const config = await loadCoreConfig(values.config, process.env);
  const logger = createCoreLogger(config.logLevel);
  const core = await startCore(config, logger);
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await core.close();
  return 0;
}

async function edgeRun(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('edge run needs --config FILE');
  const config = await loadEdgeConfig(values.config, process.env);
  const logger = createEdgeLogger(config.logLevel);
  const edge = await startEdge(config, logger, process.env);
  const stopped = untilSignal().then(async (signal) => {
    logger.info({ signal }, 'stopping');
    await edge.stop();
  });
  const results = await edge.done;
  logger.info({ results }, 'edge finished');
  void stopped;
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

async function events(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      camera: { type: 'string' },
      limit: { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
      ...TLS_OPTIONS,
    },
  });
  const server = values.server ?? process.env.ZEBRA_GRPC_ADDR ?? DEFAULT_GRPC_ADDR;
  const tls = await resolveClientTls(values, process.env);
  const token = await resolveToken(values['token-file'], process.env);
  if (sub === 'list') {
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive whole number');
    const listed = await fetchEvents(server, token, tls, limit, values.camera);
    process.stdout.write(
      values.json ? `${JSON.stringify(ListEventsResponse.toJSON(listed), null, 2)}\n` : formatEventTable(listed.events),
    );
    return 0;
  }
  if (sub === 'fetch-missing' && positionals[0] && values.camera) {
    process.stdout.write(await fetchMissing(server, token, tls, positionals[0], values.camera));
    return 0;
  }
  if (sub === 'show' && positionals[0]) {
    const response = await fetchEvent(server, token, tls, positionals[0]);
    process.stdout.write(
      values.json ? `${JSON.stringify(GetEventResponse.toJSON(response), null, 2)}\n` : formatEventDetail(response),
    );
    return 0;
  }
  process.stderr.write(USAGE);
  return 2;
}

/** Runs one CLI command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    if (command === 'demo') return await runDemo([sub, ...rest].filter((a): a is string => a !== undefined));
    if (command === 'models' && sub === 'fetch') return await modelsFetch(rest);
    if (command === 'core' && sub === 'run') return await coreRun(rest);
    if (command === 'edge' && sub === 'run') return await edgeRun(rest);
    if (command === 'edge' && sub === 'replay') return await edgeReplay(rest);
    if (command === 'redact') return await redact(argv.slice(1));
    if (command === 'events') return await events(argv.slice(1));
    if (command === 'users' && sub === 'add') return await usersAdd(rest);
    if (command === 'users' && sub === 'reset') return await usersReset(rest);
    if (command === 'users' && (sub === 'enrol' || sub === 'enroll')) return await usersEnrol(rest);
    if (command === 'devices' && sub === 'register') return await devicesRegister(rest);
    if (command === 'edge' && sub === 'public-key') return await edgePublicKey(rest);
    if (command === 'tokens' && sub === 'issue') return await tokensIssue(rest);
    if (command === 'nats' && sub === 'setup') return await natsSetup(rest);
    if (command === 'pki') return await pki(argv.slice(1));
    if (command === 'evidence' && sub === 'package') return await evidencePackage(rest);
    if (command === 'signal' && sub === 'bridge') return await signalBridge(rest);
    if (command === 'audit') {
      const code = await audit(argv.slice(1));
      if (code !== undefined) return code;
    }
    process.stderr.write(USAGE);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  } catch (err) {
    printError(err);
    return 1;
  }
}
