/**
 * bench:core — ListQueue and GetEvent through the real gRPC server (token check, interceptor,
 * protobuf, loopback HTTP/2) against the same queries called directly from the server's process,
 * in one run. The load comes from worker threads, as other processes would send it, through a
 * minimal HTTP/2 gRPC client (BENCH_CLIENT=grpc-js for the full grpc-js client): on a 2-core
 * machine the load generator shares the CPU with the server, so the lighter it is, the closer
 * the figure is to the server's own cost.
 * Database: PGlite in a temporary folder, or PostgreSQL when DATABASE_URL is set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createUser, issueToken } from '../../core/api/admin-methods.js';
import { DenialLog } from '../../core/api/denials.js';
import type { ApiDeps } from '../../core/api/method.js';
import { Authenticator } from '../../core/auth/authenticator.js';
import { loadOrCreateSigner } from '../../core/audit/signer.js';
import { parseCoreConfig } from '../../core/config.js';
import { migrate } from '../../core/db/migrate.js';
import { getEvent, insertEvent } from '../../core/events/events-repo.js';
import { DeviceKeyCache } from '../../core/devices/devices-repo.js';
import { EvidenceTickets } from '../../core/evidence/tickets.js';
import { startGrpcServer } from '../../core/grpc/server.js';
import { createCoreLogger } from '../../core/logger.js';
import { createCoreMetrics } from '../../core/metrics.js';
import { listQueue } from '../../core/review/queue-repo.js';
import { loadServerTls } from '../../core/tls.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';
import { testServerTls } from '../harness/pki.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import type { LoadRequest } from './grpc-load.js';
import { formatComparison, measure } from './measure.js';
import type { Measurement } from './measure.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PAGE = 50;

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1);
const CLIENT = process.env.BENCH_CLIENT === 'grpc-js' ? 'grpc-js' : 'raw';

/**
 * Runs the gRPC side of a comparison from CLIENTS worker threads (each with its own channel and
 * an equal share of the in-flight calls), as separate clients would; the results are summed.
 */
async function inWorker(job: LoadRequest): Promise<Measurement> {
  const share = {
    ...job,
    options: { ...job.options, concurrency: Math.max(1, Math.round(job.options.concurrency / CLIENTS)) },
  };
  const parts = await Promise.all(Array.from({ length: CLIENTS }, () => inOneWorker(share)));
  const weighted = (key: 'p50Ms' | 'p99Ms'): number =>
    parts.reduce((sum, m) => sum + m[key] * m.count, 0) / parts.reduce((n, m) => n + m.count, 0);
  return {
    label: job.label,
    opsPerSecond: parts.reduce((sum, m) => sum + m.opsPerSecond, 0),
    p50Ms: weighted('p50Ms'),
    p99Ms: Math.max(...parts.map((m) => m.p99Ms)),
    count: parts.reduce((n, m) => n + m.count, 0),
  };
}

function inOneWorker(job: LoadRequest): Promise<Measurement> {
  const entry = new URL('./grpc-load.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: Measurement) => resolve(m));
    worker.once('error', reject);
  });
}

async function main(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'zebra-bench-core-'));
  // A fresh database: PGlite in a temporary folder, or a new database on DATABASE_URL's server.
  await using target = await createTestDatabase();
  const db = await openTestDatabase(target);
  try {
    await migrate(db);
    const { privateKey } = testDeviceKey();
    process.stderr.write(`bench:core: ${db.kind}, inserting ${EVENTS} events…\n`);
    const ids: string[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const event = makeEvent(privateKey, { cameraSeq: i + 1, occurredAtMs: 1_800_000_000_000 + i * 1000 });
      await db.transaction((tx) => insertEvent(tx, event, i + 1));
      ids.push(event.eventId);
    }
    const config = parseCoreConfig(
      {
        database: { pgliteDir: join(work, 'db') },
        nats: { servers: ['nats://127.0.0.1:1'] },
        audit: { signingKeyFile: join(work, 'audit.pem') },
        auth: { bootstrapTokenFile: join(work, 'admin-token') },
        grpc: { listen: '127.0.0.1:0', tls: await testServerTls() },
        http: { tls: await testServerTls() },
      },
      work,
      {},
      'bench',
    );
    const signer = await loadOrCreateSigner(config.audit.signingKeyFile, config.audit.origin);
    const metrics = createCoreMetrics();
    const logger = createCoreLogger('warn');
    const deps: ApiDeps = {
      db,
      authenticator: new Authenticator(db, config.auth.cacheMs),
      signer,
      tickets: new EvidenceTickets(signer.privateKey),
      devices: new DeviceKeyCache(db),
      evidence: undefined,
      config,
      metrics,
      logger,
      denials: new DenialLog(db, metrics, logger),
    };
    const ctx = { deps, nowMs: Date.now(), actor: 'bench' };
    await createUser(ctx, { userId: 'bench-reviewer', displayName: 'Bench', roles: ['reviewer'] });
    const { token } = await issueToken(ctx, 'bench-reviewer', 0, 'bench');
    const grpc = await startGrpcServer(config.grpc.listen, await loadServerTls(config.grpc.tls, 'grpc.tls'), deps);
    const options = { durationMs: DURATION_MS, concurrency: CONCURRENCY, warmupMs: 500 };
    const queueQuery = { states: ['queued', 'in_review'] as const, limit: PAGE, order: 'oldest' as const };
    const pick = (i: number): string => ids[(i * 7919) % ids.length]!;
    try {
      const rows = [
        {
          baseline: await measure('ListQueue  bare query', () => listQueue(db, queueQuery), options),
          candidate: await inWorker({
            client: CLIENT,
            address: grpc.address,
            token,
            label: 'ListQueue  gRPC',
            path: '/zebra.v1.ReviewService/ListQueue',
            requests: [{ pageSize: PAGE }],
            options,
          }),
        },
        {
          baseline: await measure('GetEvent   bare query', (i) => getEvent(db, pick(i)), options),
          candidate: await inWorker({
            client: CLIENT,
            address: grpc.address,
            token,
            label: 'GetEvent   gRPC',
            path: '/zebra.v1.EventService/GetEvent',
            requests: ids.map((_, i) => ({ eventId: pick(i) })),
            options,
          }),
        },
      ];
      const floor = await inWorker({
        client: CLIENT,
        address: grpc.address,
        token,
        label: 'ListReasons gRPC (no database)',
        path: '/zebra.v1.ReviewService/ListReasons',
        requests: [{}],
        options,
      });
      process.stdout.write(
        `bench:core on ${db.kind}, ${EVENTS} events, ${CONCURRENCY} in flight, ${DURATION_MS} ms each\n`,
      );
      process.stdout.write(formatComparison(rows));
      process.stdout.write(
        `gRPC floor: ${floor.opsPerSecond.toFixed(0)} ops/s for a call that does no database work (p50 ${floor.p50Ms.toFixed(2)} ms)\n`,
      );
      const worst = Math.min(...rows.map((r) => r.candidate.opsPerSecond / r.baseline.opsPerSecond));
      process.stdout.write(`lowest ratio ${worst.toFixed(2)} (target >= 0.50): ${worst >= 0.5 ? 'met' : 'NOT met'}\n`);
      return worst >= 0.5 ? 0 : 1;
    } finally {
      await grpc.close();
    }
  } finally {
    await db.close();
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
