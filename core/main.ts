import { mkdir } from 'node:fs/promises';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVIDENCE_BUCKET } from '../proto/index.js';
import { loadOrCreateSigner, checkpointNow } from './audit/signer.js';
import type { CoreConfig } from './config.js';
import type { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { openPglite } from './db/pglite.js';
import { openPostgres } from './db/postgres.js';
import { CoreError, CoreErrorCode, errorMessage } from './errors.js';
import { startGrpcServer } from './grpc/server.js';
import { startHttpServer } from './http/server.js';
import { IngestConsumer, ensureIngestTopology } from './ingest/consumer.js';
import type { Logger } from './logger.js';
import { createCoreMetrics } from './metrics.js';

export interface CoreHandle {
  readonly grpcAddress: string;
  readonly httpAddress: string;
  readonly db: Database;
  /** Stops ingest first, then the listeners, NATS and the database. */
  close(): Promise<void>;
}

export async function openDatabase(config: CoreConfig['database']): Promise<Database> {
  try {
    if (config.url) return await openPostgres(config.url, 'zebra-core');
    await mkdir(config.pgliteDir!, { recursive: true });
    return await openPglite(config.pgliteDir!);
  } catch (err) {
    const where = config.url ? 'database.url' : `database.pgliteDir (${config.pgliteDir})`;
    throw new CoreError(CoreErrorCode.DB_UNAVAILABLE, `cannot open the database at ${where}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

async function connectNats(config: CoreConfig, logger: Logger): Promise<NatsConnection> {
  try {
    return await connect({ servers: [...config.nats.servers], name: 'zebra-core', maxReconnectAttempts: -1 });
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.NATS_UNAVAILABLE,
      `cannot connect to NATS at ${config.nats.servers.join(', ')}: ${errorMessage(err)}`,
      { cause: err },
    );
  } finally {
    logger.debug({ servers: config.nats.servers }, 'nats connect attempted');
  }
}

/** Starts the core: database and migrations, NATS ingest, gRPC and HTTP. */
export async function startCore(config: CoreConfig, logger: Logger): Promise<CoreHandle> {
  const metrics = createCoreMetrics();
  const signer = await loadOrCreateSigner(config.audit.signingKeyFile, config.audit.origin);
  logger.info({ keyId: signer.keyId, origin: signer.origin }, 'audit checkpoint key ready');
  const db = await openDatabase(config.database);
  const applied = await migrate(db);
  logger.info({ database: db.kind, migrationsApplied: applied }, 'database ready');
  const checkpoint = (): Promise<unknown> =>
    checkpointNow(db, signer, Date.now()).catch((err: unknown) => logger.error({ err }, 'audit checkpoint failed'));
  const checkpointTimer = setInterval(() => void checkpoint(), config.audit.checkpointIntervalMs);
  checkpointTimer.unref();
  const nc = await connectNats(config, logger);
  metrics.natsConnected.set(1);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') metrics.natsConnected.set(0);
      if (s.type === 'reconnect') metrics.natsConnected.set(1);
      logger.info({ natsStatus: s.type }, 'nats status');
    }
  })();
  try {
    await ensureIngestTopology(nc, config.ingest);
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.NATS_UNAVAILABLE,
      `cannot set up JetStream (is JetStream enabled?): ${errorMessage(err)}`,
      { cause: err },
    );
  }
  const evidence = await new Objm(nc).create(EVIDENCE_BUCKET, { storage: 'file' });
  const ingest = new IngestConsumer(db, logger.child({ component: 'ingest' }), metrics, config.ingest);
  const { done: ingestDone } = await ingest.start(nc);
  const grpc = await startGrpcServer(config.grpc.listen, db, logger.child({ component: 'grpc' }));
  const http = await startHttpServer(config.http.listen, {
    db,
    evidence,
    signer,
    metrics,
    logger: logger.child({ component: 'http' }),
    health: async () => {
      const dbOk = await db.query('SELECT 1').then(
        () => 'ok',
        (err: unknown) => errorMessage(err),
      );
      const natsOk = nc.isClosed() ? 'closed' : 'ok';
      return { ok: dbOk === 'ok' && natsOk === 'ok', checks: { database: dbOk, nats: natsOk } };
    },
  });
  logger.info({ grpc: grpc.address, http: http.address }, 'core ready');
  return {
    grpcAddress: grpc.address,
    httpAddress: http.address,
    db,
    async close() {
      await ingest.stop();
      await ingestDone.catch((err: unknown) => logger.warn({ err }, 'ingest loop ended with an error'));
      clearInterval(checkpointTimer);
      await grpc.close();
      await http.close();
      await checkpoint();
      await nc.drain().catch(() => undefined);
      await db.close();
    },
  };
}
