// ci: once (a build runs the same on either database; CI does not run it again on PostgreSQL).
import { spawn } from 'node:child_process';
import { readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEvents } from '../../cli/events.js';
import { freePorts } from '../../cli/nats-server.js';
import { CONSOLE_BUNDLE_FILE } from '../../core/console/bundle.js';
import { InfractionEvent } from '../../proto/index.js';
import { buildDist } from '../../scripts/build.js';
import { startCoreProcess } from '../harness/core-process.js';
import { createTestDatabase, preRegisterTestDevice } from '../harness/database.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { manifestFile } from '../harness/models.js';
import { startTestNats } from '../harness/nats.js';
import { testHttps } from '../harness/pki.js';
import { tempDir, waitFor } from '../harness/temp.js';
import type { TempDir } from '../harness/temp.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** `--import` this and any import of tsx, esbuild or typescript throws, in every thread. */
const FORBID = ['--import', join(ROOT, 'test/harness/forbid-compilers.js')];
const FORBIDDEN_IMPORT = /forbidden import: (tsx|esbuild|typescript)/;

interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node args…` to its end (killed after `timeoutMs`). */
function runNode(args: readonly string[], timeoutMs = 90_000): Promise<Exited> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('the production build (npm run build: dist/)', () => {
  let work: TempDir;
  let dist: string;

  beforeAll(async () => {
    work = await tempDir('zebra-build-');
    dist = join(work.path, 'dist');
    await buildDist(dist);
    // The image installs production dependencies beside dist/'s files; here, the checkout's.
    await symlink(join(ROOT, 'node_modules'), join(dist, 'node_modules'), 'dir');
  }, 120_000);

  afterAll(async () => {
    await work?.[Symbol.asyncDispose]();
  });

  it('holds no TypeScript, and the files the code reads at run time', async () => {
    const files = (await filesUnder(dist)).map((f) => f.slice(dist.length + 1));
    const own = files.filter((f) => !f.startsWith('node_modules/'));
    expect(own.filter((f) => f.endsWith('.ts'))).toEqual([]);
    const migrations = (await readdir(join(ROOT, 'core/db/migrations'))).filter((f) => f.endsWith('.sql'));
    expect(migrations.length).toBeGreaterThan(0);
    for (const needed of [
      'package.json',
      'bin/zebra.js',
      'cli/main.js',
      'core/console/index.html',
      `core/console/${CONSOLE_BUNDLE_FILE}`,
      'core/db/pglite-thread-entry.js',
      'core/db/pglite-thread.js',
      'core/devices/verify-thread-entry.js',
      'edge/inference/worker-entry.js',
      'edge/inference/worker-main.js',
      'models/manifest.json',
      'core/deploy/core.compose.yaml',
      ...migrations.map((m) => `core/db/migrations/${m}`),
    ])
      expect(own).toContain(needed);
  });

  it('the image installs no tsx, esbuild or typescript, and ships dist/ with no sources', async () => {
    // What `npm ci --omit=dev` installs: the lock's packages not marked dev.
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const production = Object.entries(lock.packages).filter(([path, p]) => path !== '' && !p.dev);
    expect(production.length).toBeGreaterThan(0);
    expect(
      production.map(([path]) => path).filter((path) => /\/(tsx|esbuild|@esbuild\/[^/]+|typescript)$/.test(path)),
    ).toEqual([]);
    // The Dockerfile's last stage: production dependencies, then dist/ from the build stage only.
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const last = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(last).toMatch(/^RUN npm ci --omit=dev$/m);
    expect(last).toMatch(/^COPY --from=build \S+\/dist \.\/$/m);
    expect(last).not.toMatch(/^COPY (\.\/)?(bin|cli|edge|core|proto|models|scripts)\b/m);
  });

  it('the hook catches a forbidden import: the source tree CLI (tsx) fails under it', async () => {
    const run = await runNode([...FORBID, join(ROOT, 'bin/zebra.js'), '--help']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/forbidden import: tsx\/esm\/api/);
    expect(run.stdout).not.toContain('Usage: zebra');
  });

  it('runs the CLI with no tsx, esbuild or typescript loaded', async () => {
    const run = await runNode([...FORBID, join(dist, 'bin/zebra.js'), '--help']);
    expect(run.stderr).not.toMatch(FORBIDDEN_IMPORT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: zebra');
    expect(run.stdout).toContain('core');
  });

  it('runs its worker threads (inference, signature, and PGlite on PostgreSQL runs) from the build', async () => {
    const yolox = await manifestFile('yolox-nano');
    const persons = {
      ...yolox,
      options: { minScore: 0.3, nmsIou: 0.45, minBoxHeight: 0.03, classIds: [0], intraOpThreads: 1 },
    };
    const { privateKey, publicKey } = testDeviceKey();
    const event = makeEvent(privateKey, { cameraSeq: 1 });
    const job = {
      keyId: 'test',
      spkiDer: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      signature: Buffer.from(event.signature!.signature).toString('base64'),
      payload: Buffer.from(InfractionEvent.encode(event).finish()).toString('base64'),
    };
    // The PGlite thread: the core below opens its database on it when the tests run on PGlite
    // (about 17 s at load 10); on PostgreSQL (DATABASE_URL) it is started here instead.
    const pgliteHere = Boolean(process.env.DATABASE_URL);
    const from = (path: string): string => JSON.stringify(pathToFileURL(join(dist, path)).href);
    const script = `
      const { InferencePool } = await import(${from('edge/inference/inference-pool.js')});
      const { createEdgeLogger } = await import(${from('edge/logger.js')});
      const { SignatureVerifier } = await import(${from('core/devices/signature-verifier.js')});
      const { openPglite } = await import(${from('core/db/pglite.js')});
      const pool = await InferencePool.start({ persons: ${JSON.stringify(persons)} }, 1, createEdgeLogger('silent'));
      console.log('detections: ' + (await pool.persons.detect(Buffer.alloc(320 * 240 * 3, 128), 320, 240)).length);
      await pool.close();
      const verifier = new SignatureVerifier();
      const job = Object.fromEntries(Object.entries(${JSON.stringify(job)}).map(([k, v]) => [k, k === 'keyId' ? v : Buffer.from(v, 'base64')]));
      const forged = { ...job, signature: Buffer.alloc(64, 1) };
      console.log('verified: ' + (await verifier.verify(job)) + ', forged: ' + (await verifier.verify(forged)));
      await verifier.close();
      if (${pgliteHere}) {
        const db = await openPglite(${JSON.stringify(join(work.path, 'pglite'))});
        console.log('pglite: ' + (await db.query('SELECT 41 + 1 AS n')).rows[0].n);
        await db.close();
      }`;
    // A file, not --eval: a worker thread inherits the process's options (--input-type too).
    const file = join(work.path, 'threads.mjs');
    await writeFile(file, script);
    const run = await runNode([...FORBID, file]);
    expect(run.stderr).not.toMatch(FORBIDDEN_IMPORT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('detections: 0');
    expect(run.stdout).toContain('verified: true, forged: false');
    if (pgliteHere) expect(run.stdout).toContain('pglite: 42');
  });

  it('a built core serves the console script over HTTPS and stores a signed event', async () => {
    await using nats = await startTestNats();
    await using database = await createTestDatabase();
    await preRegisterTestDevice(database);
    const [grpc, http] = (await freePorts(2)) as [number, number];
    expect(database.kind).toBe(process.env.DATABASE_URL ? 'postgres' : 'pglite'); // see the PGlite thread above
    const logFile = join(work.path, 'core.log');
    const core = await startCoreProcess(
      work.path,
      nats,
      database,
      { grpc, http },
      logFile,
      {},
      { cli: join(dist, 'bin/zebra.js'), nodeArgs: FORBID },
    );
    const nc = await nats.connect();
    try {
      const script = await testHttps(`https://${core.httpAddress}/app.js`);
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      const built = await readFile(join(dist, 'core/console', CONSOLE_BUNDLE_FILE));
      expect(built.length).toBeGreaterThan(100_000);
      expect(script.body.equals(built)).toBe(true);
      expect((await testHttps(`https://${core.httpAddress}/`)).status).toBe(200);
      const event = makeEvent(testDeviceKey().privateKey, { cameraSeq: 1 });
      await jetstream(nc).publish(subjectOf(event), InfractionEvent.encode(event).finish(), { msgID: event.eventId });
      const token = await core.readerToken();
      const stored = await waitFor(
        'the event stored',
        async () => {
          const { events } = await fetchEvents(core.grpcAddress, token, core.tls, 10);
          return events.length > 0 ? events : undefined;
        },
        60_000,
      );
      expect(stored.map((e) => e.eventId)).toEqual([event.eventId]);
    } finally {
      await nc.close();
      await core.stop();
    }
    expect(await readFile(logFile, 'utf8')).not.toMatch(FORBIDDEN_IMPORT);
  }, 150_000); // 48 s measured on PGlite at load average 10
});
