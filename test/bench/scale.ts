/**
 * bench:scale — the core at 10k, 100k and 1M events, each in a fresh PostgreSQL database
 * (DATABASE_URL), against a real `zebra core run` child process (so its memory can be read by
 * pid). Per size: p50/p99 of the reads people make (ListQueue, GetEvent, ListEvents,
 * GetBalance, a year's transparency report, ListSequenceGaps) and of the audit work (full
 * export and `zebra audit verify` throughput first, while the log has only a few checkpoints,
 * whose count verify's cost depends on; then signing a checkpoint after new entries, an `--event` extract, a custody
 * report), the core's RSS (peak during the export, and its lifetime peak) and the core's
 * longest event-loop stall during the audit work; then the ratio of each figure at the
 * largest size to the same at the smallest, beside the issue's target. Before measuring, the
 * loaded log is checked entry by entry against the checkpoint the core signs over it.
 * A failure (e.g. the export over gRPC's message cap) is the figure; the bench goes on.
 *
 * Loading: each event with about ten audit entries over its life (ingest, claim, evidence
 * reads, confirm, link, second review, approval, ledger, an auditor's read; see
 * scale-load.ts). Sizes up to --nats-max (default 100000) go through the real ingest (NATS →
 * core); larger ones through the ingest's own store function in big batches, no core running.
 *
 *   npm run bench:scale -- [--sizes 10000,100000,1000000] [--samples 20] [--budget-s 60] [--nats-max 100000]
 *     [--skip-check]
 * Needs DATABASE_URL. Memory of the bench itself stays bounded (events are generated from their index).
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePorts } from '../../cli/nats-server.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../cli/api-client.js';
import { CoreConfigSchema, countEvents, isCheckpointSigned } from '../../core/index.js';
import type { Database, SignedCheckpoint } from '../../core/index.js';
import { auditLogSize } from '../../core/audit/audit-repo.js';
import { startCoreProcess } from '../harness/core-process.js';
import type { CoreProcess } from '../harness/core-process.js';
import { createTestDatabase, openTestDatabase, preRegisterTestDevice } from '../harness/database.js';
import { testDeviceKey } from '../harness/events.js';
import { startTestNats } from '../harness/nats.js';
import { testClientTls, testPki } from '../harness/pki.js';
import { eventIdOf, fateOf, Progress, bulkLoad, publishEvents, subjectRefOf, writeLifecycles } from './scale-load.js';
import type { LifecyclePolicy } from './scale-load.js';
import { checkAuditLog } from './scale-check.js';
import {
  eventLoopMaxMs,
  exportFullLog,
  exportOverGateway,
  pollHealth,
  residentBytes,
  sampleCalls,
  verifyExport,
  watchRss,
} from './scale-measure.js';
import type { CallFigures, CliTarget } from './scale-measure.js';
import { ratios, show, table } from './scale-report.js';
import type { SizeResult } from './scale-report.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    samples: { type: 'string', default: '20' },
    'budget-s': { type: 'string', default: '60' },
    'nats-max': { type: 'string', default: '100000' },
    'skip-check': { type: 'boolean', default: false },
  },
});
const SIZES = args.sizes.split(',').map((s) => Number(s.trim()));
const SAMPLES = Number(args.samples);
const BUDGET_MS = Number(args['budget-s']) * 1000;
const NATS_MAX = Number(args['nats-max']);
for (const [name, n] of [
  ['--sizes', Math.min(...SIZES)],
  ['--samples', SAMPLES],
  ['--budget-s', BUDGET_MS],
  ['--nats-max', NATS_MAX + 1],
] as const) {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be whole numbers above 0`);
}
if (!process.env.DATABASE_URL) throw new Error('bench:scale needs DATABASE_URL (a PostgreSQL server)');

const DEADLINE = { deadlineMs: 600_000 };
/** The core's defaults for review and ledger: what the lifecycles are checked against. */
const POLICY: LifecyclePolicy = {
  review: CoreConfigSchema.shape.review.parse(undefined),
  ledger: CoreConfigSchema.shape.ledger.parse(undefined),
};

interface Loaded {
  readonly events: number;
  readonly auditEntries: number;
  readonly seconds: number;
  readonly how: string;
  /** The loaded log checked against the core's first signed checkpoint, or why not. */
  check?: string;
}

/** A person with these roles, created by the admin and enrolled with their one-time code. */
async function person(core: CoreProcess, adminToken: string, userId: string, role: string): Promise<ApiClient> {
  const admin = new ApiClient(core.grpcAddress, adminToken, core.tls);
  const anonymous = new ApiClient(core.grpcAddress, undefined, core.tls);
  try {
    const { enrolmentCode } = await admin.call<{ enrolmentCode: string }>('/zebra.v1.AdminService/CreateUser', {
      userId,
      displayName: userId,
      roles: [role],
    });
    const { token } = await anonymous.call<{ token: string }>('/zebra.v1.EnrolmentService/Enrol', {
      code: enrolmentCode,
    });
    return new ApiClient(core.grpcAddress, token, core.tls);
  } finally {
    admin.close();
    anonymous.close();
  }
}

function addCall(result: SizeResult, label: string, figures: CallFigures): void {
  result.set(`${label} p50 ms`, figures.p50);
  result.set(`${label} p99 ms`, figures.p99);
  process.stderr.write(`  ${label}: ${show(figures.p50)} / ${show(figures.p99)} ms (${figures.samples} samples)\n`);
}

async function runSize(count: number): Promise<{ result: SizeResult; loaded: Loaded }> {
  const runSeed = randomBytes(6).toString('hex');
  const work = await mkdtemp(join(tmpdir(), 'zebra-bench-scale-'));
  await using target = await createTestDatabase();
  await using nats = await startTestNats();
  await preRegisterTestDevice(target);
  await using db = await openTestDatabase(target);
  const { privateKey } = testDeviceKey();
  const startMs = Date.now();
  const [grpc, http] = (await freePorts(2)) as [number, number];
  const ports = { grpc, http };
  const startCore = (): Promise<CoreProcess> =>
    startCoreProcess(work, nats, target, ports, join(work, 'core.log'), { logLevel: 'warn' });
  process.stderr.write(`\n== ${count} events (database ${target.config.url?.replace(/^.*\//, '')}, ${work})\n`);
  let core: CoreProcess | undefined;
  try {
    const loadT0 = performance.now();
    let auditEntries: number;
    let how: string;
    if (count <= NATS_MAX) {
      core = await startCore();
      const nc = await nats.connect();
      const ingested = new Progress('ingested by the core (published as it goes)', count);
      const stored = (async () => {
        let [n, lastChangeMs] = [0, performance.now()];
        while (n < count) {
          const now = await countEvents(db);
          if (now !== n) [n, lastChangeMs] = [now, performance.now()];
          ingested.update(n, n >= count);
          if (performance.now() - lastChangeMs > 120_000)
            throw new Error(`ingest stopped at ${n} of ${count} events for 2 minutes; see ${join(work, 'core.log')}`);
          if (n < count) await new Promise((r) => setTimeout(r, 1000));
        }
      })();
      let publishSeconds = 0;
      await publishEvents(nc, runSeed, count, privateKey, startMs, (n) => {
        if (n === count) publishSeconds = ingested.seconds;
      });
      await stored;
      how = `real ingest (NATS → core: published at ${(count / publishSeconds).toFixed(0)}/s, stored at ${(count / ingested.seconds).toFixed(0)}/s), then review lifecycles in batches`;
      await nc.close();
      await writeLifecycles(db, runSeed, count, POLICY);
      auditEntries = await auditLogSize(db);
    } else {
      how = 'bulk: ingest store function + review lifecycles in batches (no NATS)';
      await bulkLoad(db, runSeed, count, privateKey, startMs, POLICY);
      auditEntries = await auditLogSize(db);
      process.stderr.write('  starting the core…\n');
      core = await startCore();
    }
    const loaded: Loaded = { events: count, auditEntries, seconds: (performance.now() - loadT0) / 1000, how };
    process.stderr.write(
      `  loaded ${count} events, ${auditEntries} audit entries (${(auditEntries / count).toFixed(1)} an event) in ${loaded.seconds.toFixed(0)} s\n`,
    );
    await db.query('ANALYZE');
    return { result: await measureCore(core, db, work, runSeed, count, loaded), loaded };
  } finally {
    await core?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The loaded log, entry by entry from the database, against the checkpoint the core signs over
 * it: seqs without gaps, canonical bytes and leaf hashes as the core computes them, the same
 * root, a valid signature. Throws if it does not verify (the figures would mean nothing).
 */
async function checkLoadedLog(db: Database, auditor: ApiClient): Promise<string> {
  const { checkpoint, publicKeyPem } = await auditor.call<{ checkpoint: SignedCheckpoint; publicKeyPem: string }>(
    '/zebra.v1.AuditService/GetCheckpoint',
    {},
    DEADLINE,
  );
  const cp = { ...checkpoint, treeSize: Number(checkpoint.treeSize), atMs: Number(checkpoint.atMs) };
  if (!isCheckpointSigned(cp, createPublicKey(publicKeyPem))) throw new Error('the core signed a bad checkpoint');
  const progress = new Progress('checking the loaded log', cp.treeSize);
  const check = await checkAuditLog(db, cp.treeSize, (done) => progress.update(done, done === cp.treeSize));
  if (!check.root.equals(Buffer.from(cp.rootHash)))
    throw new Error(`the root of the loaded log differs from the core's checkpoint at size ${cp.treeSize}`);
  return `${cp.treeSize} entries verified against the core's signed checkpoint (bench-side streaming check, ${(check.size / check.seconds).toFixed(0)} entries/s)`;
}

async function measureCore(
  core: CoreProcess,
  db: Database,
  work: string,
  runSeed: string,
  count: number,
  loaded: Loaded,
): Promise<SizeResult> {
  const adminToken = (await readFile(join(work, 'admin-token'), 'utf8')).trim();
  const reviewer = await person(core, adminToken, 'bench-reviewer', 'ROLE_REVIEWER');
  const supervisor = await person(core, adminToken, 'bench-supervisor', 'ROLE_SUPERVISOR');
  const auditor = await person(core, adminToken, 'bench-auditor', 'ROLE_AUDITOR');
  const clients = [reviewer, supervisor, auditor];
  const result: SizeResult = new Map();
  const opts = { samples: SAMPLES, budgetMs: BUDGET_MS };
  // A spread of events (every fate) and of approved ones (the longest custody trails).
  const anyEvent = (i: number): string => eventIdOf(runSeed, (i * 104_729 + 17) % count);
  const approvedEvent = (i: number): string => {
    let j = (i * 104_729 + 31) % count;
    while (fateOf(j) !== 'approved') j = (j + 1) % count;
    return eventIdOf(runSeed, j);
  };
  try {
    if (!args['skip-check']) {
      loaded.check = await checkLoadedLog(db, auditor);
      process.stderr.write(`  ${loaded.check}\n`);
    }
    process.stderr.write('  reads…\n');
    addCall(
      result,
      'ListQueue',
      await sampleCalls(() => reviewer.call('/zebra.v1.ReviewService/ListQueue', { pageSize: 50 }, DEADLINE), opts),
    );
    addCall(
      result,
      'GetEvent',
      await sampleCalls(
        (i) => auditor.call('/zebra.v1.EventService/GetEvent', { eventId: anyEvent(i) }, DEADLINE),
        opts,
      ),
    );
    addCall(
      result,
      'ListEvents',
      await sampleCalls(() => auditor.call('/zebra.v1.EventService/ListEvents', { pageSize: 50 }, DEADLINE), opts),
    );
    addCall(
      result,
      'GetBalance',
      await sampleCalls(
        (i) =>
          supervisor.call('/zebra.v1.LedgerService/GetBalance', { subjectRef: subjectRefOf(i * 13, count) }, DEADLINE),
        opts,
      ),
    );
    addCall(
      result,
      'Transparency (year)',
      await sampleCalls(() => auditor.call('/zebra.v1.AuditService/GetTransparencyReport', {}, DEADLINE), opts),
    );
    addCall(
      result,
      'ListSequenceGaps',
      await sampleCalls(() => auditor.call('/zebra.v1.EventService/ListSequenceGaps', {}, DEADLINE), opts),
    );

    process.stderr.write('  audit work…\n');
    await eventLoopMaxMs(core.httpAddress); // resets the core's event-loop delay histogram
    const health = pollHealth(core.httpAddress);
    // The export first, while the log has few checkpoints (verify's cost grows with them): those
    // signed every minute while a core ingested, and the one the check asked for.
    await exportAndVerify(core, auditor, work, result);
    addCall(
      result,
      'Checkpoint signing',
      await sampleCalls(
        () => auditor.call('/zebra.v1.AuditService/GetCheckpoint', {}, DEADLINE),
        opts,
        // New entries first (an auditor opens evidence: evidence.read), so the call must sign.
        async (i) => {
          for (let k = 0; k < 3; k++)
            await auditor.call(
              '/zebra.v1.ReviewService/OpenEvidence',
              { eventId: anyEvent(i * 3 + k), purpose: 'audit' },
              DEADLINE,
            );
        },
      ),
    );
    addCall(
      result,
      'Extract --event',
      await sampleCalls(async (i) => {
        // A server stream: read to its end (header, the event's entries with proofs, end line).
        for await (const chunk of auditor.stream('/zebra.v1.AuditService/ExportLog', { eventId: approvedEvent(i) }))
          void chunk;
      }, opts),
    );
    addCall(
      result,
      'Custody report',
      await sampleCalls(
        (i) => auditor.call('/zebra.v1.AuditService/GetCustodyReport', { eventId: approvedEvent(i) }, DEADLINE),
        opts,
      ),
    );
    const stallMs = await eventLoopMaxMs(core.httpAddress);
    const slowestHealthMs = await health.stop();
    result.set(
      'Event-loop max stall ms',
      stallMs === undefined ? { failed: 'no nodejs_eventloop_lag_max_seconds (is the core up?)' } : { value: stallMs },
    );
    result.set('/healthz slowest ms', { value: slowestHealthMs });
    result.set('Core RSS MB (VmHWM)', { value: (residentBytes(core.child.pid!)?.hwm ?? 0) / 2 ** 20 });
    const { exitCode, signalCode } = core.child;
    result.set('Core after the audit work', {
      text: exitCode === null && signalCode === null ? 'running' : `exited (${signalCode ?? exitCode})`,
    });
    return result;
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * The full export with the CLI over gRPC (the core's RSS sampled meanwhile), then over the HTTPS
 * gateway; `zebra audit verify` on each file (the gRPC one timed).
 */
async function exportAndVerify(core: CoreProcess, auditor: ApiClient, work: string, result: SizeResult): Promise<void> {
  const { publicKeyPem } = await auditor.call<{ publicKeyPem: string }>(
    '/zebra.v1.AuditService/GetCheckpoint',
    {},
    DEADLINE,
  );
  const pki = await testPki();
  const target: CliTarget = {
    grpcAddress: core.grpcAddress,
    tokenFile: join(work, 'auditor-token'),
    caFile: pki.caFile,
    certFile: pki.certFile,
    keyFile: pki.keyFile,
    publicKeyFile: join(work, 'audit-public.pem'),
  };
  await writeFile(target.tokenFile, `${auditor.token}\n`, { mode: 0o600 });
  await writeFile(target.publicKeyFile, publicKeyPem);
  const exportFile = join(work, 'export.ndjson');
  process.stderr.write('  full export over gRPC…\n');
  let rss = watchRss(core.child.pid!);
  const exported = await exportFullLog(target, exportFile);
  result.set('Full export entries/s', exported);
  result.set('Core RSS MB (peak, export)', { value: rss.stop() / 2 ** 20 });
  process.stderr.write(`  export: ${show(exported)} ${'note' in exported ? exported.note : ''}\n`);
  if ('failed' in exported) result.set('Verify entries/s', { failed: 'no export to verify' });
  else {
    process.stderr.write('  verify…\n');
    const verified = await verifyExport(target, exportFile);
    result.set('Verify entries/s', verified);
    process.stderr.write(`  verify: ${show(verified)} ${'note' in verified ? verified.note : ''}\n`);
  }
  await rm(exportFile, { force: true });

  const gatewayFile = join(work, 'export-gateway.ndjson');
  process.stderr.write('  full export over the gateway…\n');
  rss = watchRss(core.child.pid!);
  const overGateway = await exportOverGateway(core.httpAddress, await testClientTls(), auditor.token!, gatewayFile);
  result.set('Gateway export entries/s', overGateway);
  result.set('Core RSS MB (peak, gateway export)', { value: rss.stop() / 2 ** 20 });
  process.stderr.write(`  gateway export: ${show(overGateway)} ${'note' in overGateway ? overGateway.note : ''}\n`);
  if (!('failed' in overGateway)) {
    const verified = await verifyExport(target, gatewayFile);
    result.set('Gateway export verifies', { text: 'failed' in verified ? verified.failed : 'yes' });
  }
  await rm(gatewayFile, { force: true });
}

async function main(): Promise<void> {
  const results: SizeResult[] = [];
  const loads: Loaded[] = [];
  for (const size of SIZES) {
    const { result, loaded } = await runSize(size);
    results.push(result);
    loads.push(loaded);
  }
  const out = [
    `bench:scale on PostgreSQL, ${SAMPLES} samples a call (fewer past ${BUDGET_MS / 1000} s), one call at a time`,
    ...loads.map(
      (l) =>
        `loaded ${l.events} events, ${l.auditEntries} audit entries (${(l.auditEntries / l.events).toFixed(1)} an event) in ${l.seconds.toFixed(0)} s: ${l.how}${l.check ? `\n  ${l.check}` : ''}`,
    ),
    '',
    table(SIZES, results),
    '',
  ];
  const notes = SIZES.flatMap((size, k) =>
    [...results[k]!].flatMap(([label, f]) => ('note' in f && f.note ? [`  ${size} events, ${label}: ${f.note}`] : [])),
  );
  if (notes.length > 0) out.push('notes:', ...notes, '');
  if (SIZES.length > 1) {
    const [small, large] = [0, SIZES.length - 1];
    out.push(ratios(SIZES[small]!, SIZES[large]!, results[small]!, results[large]!), '');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
