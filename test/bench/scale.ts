/**
 * bench:scale — the core at 10k, 100k and 1M events, each in a fresh PostgreSQL database
 * (DATABASE_URL), against a real `zebra core run` child process (so its memory can be read by
 * pid). Per size: p50/p99 of the reads people make (ListQueue, GetEvent, ListEvents,
 * GetBalance, a year's transparency report, ListSequenceGaps) and of the audit work (signing a
 * checkpoint after new entries, an `--event` extract, a custody report), full export and
 * `zebra audit verify` throughput, the core's RSS (peak during the export) and the core's
 * longest event-loop stall during the audit work; then the ratio of each figure at the
 * largest size to the same at the smallest.
 *
 * Loading: each event with about ten audit entries over its life (ingest, claim, evidence
 * reads, confirm, link, second review, approval, ledger, an auditor's read; see
 * scale-load.ts). Sizes up to --nats-max (default 100000) go through the real ingest (NATS →
 * core); larger ones through the ingest's own store function in big batches, no core running.
 *
 *   npm run bench:scale -- [--sizes 10000,100000,1000000] [--samples 20] [--budget-s 60] [--nats-max 100000]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from '../../cli/api-client.js';
import { CoreConfigSchema, countEvents } from '../../core/index.js';
import { auditSize } from '../../core/audit/audit-repo.js';
import { startCoreProcess } from '../harness/core-process.js';
import type { CoreProcess } from '../harness/core-process.js';
import { createTestDatabase, openTestDatabase, preRegisterTestDevice } from '../harness/database.js';
import { testDeviceKey } from '../harness/events.js';
import { startTestNats } from '../harness/nats.js';
import { testPki } from '../harness/pki.js';
import { eventIdOf, fateOf, Progress, bulkLoad, publishEvents, subjectRefOf, writeLifecycles } from './scale-load.js';
import type { LifecyclePolicy } from './scale-load.js';
import {
  eventLoopMaxMs,
  exportFullLog,
  pollHealth,
  residentBytes,
  sampleCalls,
  verifyExport,
  watchRss,
} from './scale-measure.js';
import type { CallFigures, CliTarget, Figure } from './scale-measure.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    samples: { type: 'string', default: '20' },
    'budget-s': { type: 'string', default: '60' },
    'nats-max': { type: 'string', default: '100000' },
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

/** Every figure of one size, by row label; calls give p50 and p99. */
type SizeResult = Map<string, Figure>;

interface Loaded {
  readonly events: number;
  readonly auditEntries: number;
  readonly seconds: number;
  readonly how: string;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
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
  const ports = { grpc: await freePort(), http: await freePort() };
  const startCore = (): Promise<CoreProcess> =>
    startCoreProcess(work, nats, target, ports, join(work, 'core.log'), { logLevel: 'warn' });
  process.stderr.write(`\n== ${count} events (database ${target.config.url?.replace(/^.*\//, '')}, ${work})\n`);
  let core: CoreProcess | undefined;
  try {
    const loadT0 = performance.now();
    let auditEntries: number;
    let how: string;
    if (count <= NATS_MAX) {
      how = 'real ingest (NATS → core), then review lifecycles in batches';
      core = await startCore();
      const nc = await nats.connect();
      const published = new Progress('published', count);
      await publishEvents(nc, runSeed, count, privateKey, startMs, (n) => published.update(n, n === count));
      const ingested = new Progress('ingested by the core', count);
      for (let n = 0; n < count; ) {
        n = await countEvents(db);
        ingested.update(n, n >= count);
        if (n < count) await new Promise((r) => setTimeout(r, 500));
      }
      await nc.close();
      await writeLifecycles(db, runSeed, count, POLICY);
      auditEntries = await auditSize(db);
    } else {
      how = 'bulk: ingest store function + review lifecycles in batches (no NATS)';
      await bulkLoad(db, runSeed, count, privateKey, startMs, POLICY);
      auditEntries = await auditSize(db);
      process.stderr.write('  starting the core…\n');
      core = await startCore();
    }
    const loaded = { events: count, auditEntries, seconds: (performance.now() - loadT0) / 1000, how };
    process.stderr.write(
      `  loaded ${count} events, ${auditEntries} audit entries (${(auditEntries / count).toFixed(1)} an event) in ${loaded.seconds.toFixed(0)} s\n`,
    );
    await db.query('ANALYZE');
    return { result: await measureCore(core, work, runSeed, count), loaded };
  } finally {
    await core?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function measureCore(core: CoreProcess, work: string, runSeed: string, count: number): Promise<SizeResult> {
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
      await sampleCalls(
        (i) => auditor.call('/zebra.v1.AuditService/ExportLog', { eventId: approvedEvent(i) }, DEADLINE),
        opts,
      ),
    );
    addCall(
      result,
      'Custody report',
      await sampleCalls(
        (i) => auditor.call('/zebra.v1.AuditService/GetCustodyReport', { eventId: approvedEvent(i) }, DEADLINE),
        opts,
      ),
    );
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
    const exportFile = join(work, 'export.json');
    process.stderr.write('  full export…\n');
    const rss = watchRss(core.child.pid!);
    const exported = await exportFullLog(target, exportFile);
    const peakRss = rss.stop();
    result.set('Full export entries/s', exported);
    process.stderr.write(`  export: ${show(exported)} ${'note' in exported ? exported.note : ''}\n`);
    const stallMs = await eventLoopMaxMs(core.httpAddress);
    const slowestHealthMs = await health.stop();
    result.set(
      'Event-loop max stall ms',
      stallMs === undefined ? { failed: 'no nodejs_eventloop_lag_max_seconds' } : { value: stallMs },
    );
    result.set('/healthz slowest ms', { value: slowestHealthMs });
    result.set('Core RSS MB (peak, export)', { value: peakRss / 2 ** 20 });
    result.set('Core RSS MB (VmHWM)', { value: (residentBytes(core.child.pid!)?.hwm ?? 0) / 2 ** 20 });
    process.stderr.write('  verify…\n');
    const verified =
      'failed' in exported ? { failed: 'no export to verify' } : await verifyExport(target, exportFile);
    result.set('Verify entries/s', verified);
    process.stderr.write(`  verify: ${show(verified)} ${'note' in verified ? verified.note : ''}\n`);
    return result;
  } finally {
    for (const c of clients) c.close();
  }
}

function show(f: Figure): string {
  if ('failed' in f) return f.failed;
  return f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(f.value >= 10 ? 1 : 2);
}

function table(sizes: readonly number[], results: readonly SizeResult[]): string {
  const labels = [...results[0]!.keys()];
  const width = 28;
  const col = 22;
  const cell = (s: string): string => (s.length > col ? `${s.slice(0, col - 1)}…` : s).padStart(col);
  const lines = [`${'figure'.padEnd(width)}${sizes.map((n) => cell(`${n} events`)).join('')}`];
  for (const label of labels) {
    lines.push(`${label.padEnd(width)}${results.map((r) => cell(show(r.get(label) ?? { failed: '-' }))).join('')}`);
  }
  return lines.join('\n');
}

function ratios(small: number, large: number, a: SizeResult, b: SizeResult): string {
  const lines = [`ratio of each figure at ${large} events to the same at ${small}`];
  for (const [label, fa] of a) {
    const fb = b.get(label)!;
    const text =
      'failed' in fa || 'failed' in fb
        ? `n/a (${'failed' in fb ? fb.failed : 'failed' in fa ? fa.failed : ''})`.slice(0, 90)
        : fa.value === 0
          ? 'n/a'
          : (fb.value / fa.value).toFixed(2);
    lines.push(`${label.padEnd(28)}${text}`);
  }
  return lines.join('\n');
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
        `loaded ${l.events} events, ${l.auditEntries} audit entries (${(l.auditEntries / l.events).toFixed(1)} an event) in ${l.seconds.toFixed(0)} s: ${l.how}`,
    ),
    '',
    table(SIZES, results),
    '',
  ];
  if (SIZES.length > 1) {
    const [small, large] = [0, SIZES.length - 1];
    out.push(ratios(SIZES[small]!, SIZES[large]!, results[small]!, results[large]!), '');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
