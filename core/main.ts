import { mkdir, readFile } from 'node:fs/promises';
import { logVerbosity, setLogVerbosity, setLogger } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadOrCreateSigner, checkpointNow } from './audit/signer.js';
import type { CoreConfig } from './config.js';
import type { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { EXCLUSIVE_JOB, runExclusive } from './db/exclusive.js';
import { openPglite } from './db/pglite.js';
import { openPostgres } from './db/postgres.js';
import { CoreError, CoreErrorCode, errorMessage } from './errors.js';
import { denialLogFor } from './api/denials.js';
import type { ApiDeps } from './api/method.js';
import { Authenticator } from './auth/authenticator.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { DeviceKeyCache } from './devices/devices-repo.js';
import { EvidenceTickets } from './evidence/tickets.js';
import { startGrpcServer } from './grpc/server.js';
import { assertCanListen } from './listen-check.js';
import { sweepRetention } from './retention/retention.js';
import type { RetentionDeps } from './retention/retention.js';
import { startHttpServer } from './http/server.js';
import { CoreHealthMonitor } from './http/health.js';
import { loadServerTls } from './tls.js';
import { natsInboxPrefix } from '../proto/index.js';
import { IngestConsumer, openIngestTopology } from './ingest/consumer.js';
import { SignatureVerifier } from './devices/signature-verifier.js';
import { EvidenceGate } from './ingest/evidence-check.js';
import { IngestMonitor } from './ingest/monitor.js';
import type { ObjectStore } from '@nats-io/obj';
import type { Logger } from './logger.js';
import { createCoreMetrics } from './metrics.js';
import { assertPrivateDir, assertPrivateFile, makeTreePrivate } from './private-files.js';

export interface CoreHandle {
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly db: Database;
  /** What the API handlers use; for tools and tests that run a sweep or a handler directly. */
  readonly api: ApiDeps;
  /** Stops ingest first, then the listeners, NATS and the database. */
  close(): Promise<void>;
}

export async function openDatabase(config: CoreConfig['database']): Promise<Database> {
  try {
    if (config.url) return await openPostgres(config.url, 'zebra-core');
    const dir = config.pgliteDir!;
    await assertPrivateDir(dir, 'database.pgliteDir');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const db = await openPglite(dir);
    await makeTreePrivate(dir);
    return { ...db, close: () => db.close().finally(() => makeTreePrivate(dir)) };
  } catch (err) {
    if (err instanceof CoreError && err.code === CoreErrorCode.CONFIG_INVALID) throw err;
    const where = config.url ? 'database.url' : `database.pgliteDir (${config.pgliteDir})`;
    throw new CoreError(CoreErrorCode.DB_UNAVAILABLE, `cannot open the database at ${where}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

async function readNatsPassword(file: string): Promise<string> {
  try {
    const password = (await readFile(file, 'utf8')).trim();
    if (!password) throw new Error('the file is empty');
    return password;
  } catch (err) {
    throw new CoreError(CoreErrorCode.CONFIG_INVALID, `nats.passwordFile: cannot read ${file}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

async function connectNats(config: CoreConfig): Promise<NatsConnection> {
  const pass = await readNatsPassword(config.nats.passwordFile);
  try {
    return await connect({
      servers: [...config.nats.servers],
      name: 'zebra-core',
      maxReconnectAttempts: -1,
      user: config.nats.user,
      pass,
      inboxPrefix: natsInboxPrefix(config.nats.user),
      tls: { caFile: config.nats.caFile },
    });
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.NATS_UNAVAILABLE,
      `cannot connect to NATS at ${config.nats.servers.join(', ')}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/** Things to undo, newest first; run when startup fails half-way or on close. */
class Cleanup {
  readonly #steps: { what: string; run: () => Promise<unknown> }[] = [];

  add(what: string, run: () => Promise<unknown>): void {
    this.#steps.unshift({ what, run });
  }

  async runAll(logger: Logger): Promise<void> {
    for (const { what, run } of this.#steps.splice(0)) {
      await run().catch((err: unknown) => logger.warn({ err }, `${what} failed while stopping`));
    }
  }
}

/** Sends grpc-js's own log lines to pino instead of stderr. */
function routeGrpcLogs(logger: Logger): void {
  setLogger({
    error: (...args: unknown[]) => logger.error({ component: 'grpc-js' }, args.map(String).join(' ')),
    info: (...args: unknown[]) => logger.info({ component: 'grpc-js' }, args.map(String).join(' ')),
    debug: (...args: unknown[]) => logger.debug({ component: 'grpc-js' }, args.map(String).join(' ')),
  });
  setLogVerbosity(logVerbosity.ERROR);
}

/** Runs a retention sweep every `retention.sweepIntervalMs`; sweeps never overlap. */
function startRetention(config: CoreConfig, deps: Omit<RetentionDeps, 'options' | 'policy'>, cleanup: Cleanup): void {
  const full: RetentionDeps = {
    ...deps,
    policy: config.retention,
    options: {
      review: { claimLeaseMs: config.review.claimLeaseMs, minEvidenceViewMs: config.review.minEvidenceViewMs },
      ledger: config.ledger,
    },
  };
  let running: Promise<unknown> = Promise.resolve();
  const stop = new AbortController();
  const timer = setInterval(() => {
    // One replica sweeps at a time; the others skip this turn (each would purge and audit the same items).
    running = running.then(() =>
      runExclusive(deps.db, EXCLUSIVE_JOB.retention, () => sweepRetention(full, Date.now(), stop.signal)).then(
        (outcome) => {
          if (!outcome.ran) deps.logger.debug('another core replica is sweeping; skipped');
        },
        (err: unknown) => deps.logger.error({ err }, 'retention sweep failed'),
      ),
    );
  }, config.retention.sweepIntervalMs);
  timer.unref();
  cleanup.add('stopping retention', async () => {
    clearInterval(timer);
    stop.abort();
    await running;
  });
}

/** Starts the core: database and migrations, NATS ingest, gRPC and HTTP. */
export async function startCore(config: CoreConfig, logger: Logger): Promise<CoreHandle> {
  const cleanup = new Cleanup();
  try {
    return await startParts(config, logger, cleanup);
  } catch (err) {
    await cleanup.runAll(logger);
    throw err;
  }
}

async function startParts(config: CoreConfig, logger: Logger, cleanup: Cleanup): Promise<CoreHandle> {
  routeGrpcLogs(logger);
  const metrics = createCoreMetrics();
  // Certificates first: a missing or wrong file stops the start before anything is opened.
  const grpcTls = await loadServerTls(config.grpc.tls, 'grpc.tls');
  const httpTls = await loadServerTls(config.http.tls, 'http.tls');
  await assertPrivateFile(config.auth.bootstrapTokenFile, 'auth.bootstrapTokenFile');
  const signer = await loadOrCreateSigner(config.audit.signingKeyFile, config.audit.origin);
  // Then the ports: a taken one stops the start before the database and NATS are opened.
  await assertCanListen(config.grpc.listen, 'grpc.listen');
  await assertCanListen(config.http.listen, 'http.listen');
  logger.info({ keyId: signer.keyId, origin: signer.origin }, 'audit checkpoint key ready');
  const db = await openDatabase(config.database);
  cleanup.add('closing the database', () => db.close());
  const applied = await migrate(db);
  if (db.kind === 'pglite') await makeTreePrivate(config.database.pgliteDir!);
  logger.info({ database: db.kind, migrationsApplied: applied }, 'database ready');
  const checkpoint = (): Promise<unknown> =>
    checkpointNow(db, signer, Date.now()).catch((err: unknown) => logger.error({ err }, 'audit checkpoint failed'));
  const nc = await connectNats(config);
  cleanup.add('draining NATS', () => nc.drain());
  let isNatsConnected = true;
  metrics.natsConnected.set(1);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') isNatsConnected = false;
      if (s.type === 'reconnect') isNatsConnected = true;
      metrics.natsConnected.set(isNatsConnected ? 1 : 0);
      logger.info({ natsStatus: s.type }, 'nats status');
    }
  })();
  let evidence: ObjectStore;
  try {
    evidence = await openIngestTopology(nc, { ...config.ingest, ...config.transport });
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.NATS_UNAVAILABLE,
      `the hub's JetStream is not set up for the core (run \`zebra nats setup hub --config <core.yaml>\` ` +
        `with the setup identity): ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (config.transport.sites.length > 0)
    logger.info(
      { sites: config.transport.sites },
      'the hub sources these sites’ outboxes; ingest copies their evidence',
    );
  cleanup.add('signing a final checkpoint', checkpoint);
  const checkpointTimer = setInterval(() => void checkpoint(), config.audit.checkpointIntervalMs);
  checkpointTimer.unref();
  cleanup.add('stopping checkpoints', () => Promise.resolve(clearInterval(checkpointTimer)));
  const api: ApiDeps = {
    db,
    authenticator: new Authenticator(db, config.auth.cacheMs),
    signer,
    tickets: new EvidenceTickets(signer.privateKey),
    devices: new DeviceKeyCache(db),
    evidence,
    nats: nc,
    config,
    metrics,
    logger: logger.child({ component: 'api' }),
    denials: denialLogFor(db, metrics, logger.child({ component: 'api' })),
  };
  // Closed after the servers (cleanups run newest first), so the last counts are audited.
  cleanup.add('auditing the last refused calls', () => api.denials.close());
  if (await bootstrapAdmin(api, config.auth.bootstrapTokenFile, Date.now())) {
    logger.warn(
      { tokenFile: config.auth.bootstrapTokenFile },
      'no users yet: created user "admin" and wrote its token to the file; use it to add people, then keep it safe',
    );
  }
  startRetention(config, { db, evidence, metrics, logger: logger.child({ component: 'retention' }) }, cleanup);
  const monitor = new IngestMonitor(
    nc,
    config.ingest.durableName,
    config.ingest,
    metrics,
    logger.child({ component: 'ingest' }),
  );
  const health = new CoreHealthMonitor(
    db,
    { ...config.health, checkpointIntervalMs: config.audit.checkpointIntervalMs },
    metrics,
    logger.child({ component: 'health' }),
  );
  await health.start();
  cleanup.add('stopping the health checks', () => health.stop());
  const grpc = await startGrpcServer(config.grpc.listen, grpcTls, api);
  cleanup.add('closing gRPC', () => grpc.close());
  const http = await startHttpServer(config.http.listen, httpTls, {
    api,
    health: () => {
      const nats = nc.isClosed() ? 'closed' : isNatsConnected ? 'ok' : 'reconnecting';
      return health.check({ nats, ingest: monitor.check() });
    },
  });
  cleanup.add('closing HTTP', () => http.close());
  const verifier = new SignatureVerifier();
  cleanup.add('stopping the signature thread', () => verifier.close());
  // Ingest starts last and stops first: nothing is taken from the stream that cannot be served.
  const ingest = new IngestConsumer(
    {
      db,
      logger: logger.child({ component: 'ingest' }),
      metrics,
      devices: api.devices,
      evidence: new EvidenceGate(nc, evidence, config.transport.sites),
      verifier,
      receiptKey: signer,
      progress: monitor,
    },
    { ...config.ingest, evidenceRetryMs: config.transport.evidenceRetryMs },
  );
  const { done: ingestDone } = await ingest.start(nc);
  cleanup.add('stopping ingest', async () => {
    await ingest.stop();
    await ingestDone;
  });
  await monitor.start();
  cleanup.add('stopping the ingest monitor', () => monitor.stop());
  logger.info({ grpc: grpc.address, http: http.address }, 'core ready');
  return { grpcAddress: grpc.address, httpAddress: http.address, db, api, close: () => cleanup.runAll(logger) };
}
