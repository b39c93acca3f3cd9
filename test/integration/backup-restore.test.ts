import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { ApiClient } from '../../cli/api-client.js';
import { main } from '../../cli/main.js';
import { createCoreLogger, loadCoreConfig, migrate, startCore } from '../../core/index.js';
import type { CoreHandle } from '../../core/index.js';
import { NATS_CORE_USER } from '../../proto/index.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';
import type { TestDatabaseTarget } from '../harness/database.js';
import { createLogSink } from '../harness/log-sink.js';
import { startTestNats } from '../harness/nats.js';
import type { TestNats } from '../harness/nats.js';
import { setupTestHub, writeTestNatsClient } from '../harness/nats-setup.js';
import { testClientTls, testPki, testServerTls } from '../harness/pki.js';
import { tempDir, waitFor } from '../harness/temp.js';

/** Runs the CLI in-process: exit code, stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** A core config file in `dir` on `database`, with its own (not yet existing) audit key file. */
async function writeCoreConfig(dir: string, nats: TestNats, database: TestDatabaseTarget): Promise<string> {
  const file = join(dir, 'core.yaml');
  await writeFile(
    file,
    stringify({
      logLevel: 'warn',
      database: database.config,
      nats: await writeTestNatsClient(nats, dir, NATS_CORE_USER),
      grpc: { listen: '127.0.0.1:0', tls: await testServerTls() },
      http: { listen: '127.0.0.1:0', tls: await testServerTls() },
      audit: { signingKeyFile: join(dir, 'keys', 'audit-key.pem'), checkpointIntervalMs: 1000 },
      auth: { bootstrapTokenFile: join(dir, 'admin-token') },
    }),
  );
  return file;
}

async function startFromFile(file: string): Promise<CoreHandle> {
  const config = await loadCoreConfig(file, {});
  return startCore(config, createCoreLogger('warn', createLogSink().stream));
}

const createUser = (admin: ApiClient, userId: string, role = 'ROLE_AUDITOR'): Promise<{ enrolmentCode: string }> =>
  admin.call('/zebra.v1.AdminService/CreateUser', { userId, displayName: userId, roles: [role] });

describe('zebra backup / zebra restore', () => {
  it('restores into a fresh database; the audit log continues and verifies against a checkpoint from before the backup', async () => {
    await using nats = await startTestNats();
    await using work = await tempDir();
    await using dbA = await createTestDatabase();
    await using dbB = await createTestDatabase({ emptyFolder: true }); // a restore's target
    const caFile = (await testPki()).caFile;
    const tls = await testClientTls();
    const dirA = join(work.path, 'a');
    const dirB = join(work.path, 'b');
    await mkdir(dirA);
    await mkdir(dirB);
    const configA = await writeCoreConfig(dirA, nats, dbA);
    const configB = await writeCoreConfig(dirB, nats, dbB);
    await setupTestHub(nats, await loadCoreConfig(configA, {}));

    // Core A: some history, an auditor, and a checkpoint the auditor keeps.
    let coreA: CoreHandle | undefined = await startFromFile(configA);
    let tokenFile = '';
    const before = join(work.path, 'before-backup.checkpoint.json');
    const publicKey = join(work.path, 'audit.pub.pem');
    try {
      const adminToken = (await readFile(join(dirA, 'admin-token'), 'utf8')).trim();
      const admin = new ApiClient(coreA.grpcAddress, adminToken, tls);
      try {
        const { enrolmentCode } = await createUser(admin, 'ada');
        const enrolled = await cli([
          'users',
          'enrol',
          '--code',
          enrolmentCode,
          '-o',
          join(work.path, 'ada.token'),
          '--server',
          coreA.grpcAddress,
          '--ca',
          caFile,
        ]);
        expect(enrolled.code, enrolled.err).toBe(0);
        tokenFile = join(work.path, 'ada.token');
        for (const name of ['rita', 'sam']) await createUser(admin, name, 'ROLE_REVIEWER');
      } finally {
        admin.close();
      }
      const http = ['--http', coreA.httpAddress, '--ca', caFile];
      expect((await cli(['audit', 'public-key', ...http, '-o', publicKey])).code).toBe(0);
      // The checkpoint the auditor keeps must cover the history made above.
      await waitFor('a checkpoint over the history', async () => {
        const r = await cli(['audit', 'checkpoint', ...http, '-o', before]);
        if (r.code !== 0) return undefined;
        return (JSON.parse(await readFile(before, 'utf8')) as { treeSize: number }).treeSize >= 4 ? true : undefined;
      });
      if (dbA.kind === 'pglite') {
        // One process owns a PGlite folder: the core stops for the backup.
        await coreA.close();
        coreA = undefined;
      }
      const backupDir = join(work.path, 'backup');
      const made = await cli(['backup', '--config', configA, '-o', backupDir]);
      expect(made.code, made.err).toBe(0);
      expect(made.err).toMatch(/audit signing key, checkpoint \d+/);
      expect((await stat(backupDir)).mode & 0o777).toBe(0o700);
      const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as {
        files: Record<string, unknown>;
      };
      expect(Object.keys(manifest.files).sort()).toEqual(
        [
          dbA.kind === 'postgres' ? 'database.pgdump' : 'database.tar.gz',
          'audit-signing-key.pem',
          'checkpoint.json',
        ].sort(),
      );

      // Restore into B: a fresh database and no key file yet.
      const restored = await cli(['restore', '--config', configB, '--from', backupDir]);
      expect(restored.code, restored.err).toBe(0);
      expect(await readFile(join(dirB, 'keys', 'audit-key.pem'), 'utf8')).toBe(
        await readFile(join(dirA, 'keys', 'audit-key.pem'), 'utf8'),
      );
      expect((await stat(join(dirB, 'keys', 'audit-key.pem'))).mode & 0o777).toBe(0o600);
      // A second restore into the now-used database is refused, naming why.
      const again = await cli(['restore', '--config', configB, '--from', backupDir]);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/empty database|is not empty/);
    } finally {
      await coreA?.close();
    }

    // Core B on the restored database: the auditor's token still works, new entries append.
    const coreB = await startFromFile(configB);
    try {
      const api = ['--server', coreB.grpcAddress, '--ca', caFile, '--token-file', tokenFile];
      const adminToken = (await readFile(join(dirA, 'admin-token'), 'utf8')).trim();
      const admin = new ApiClient(coreB.grpcAddress, adminToken, tls);
      try {
        await createUser(admin, 'after-restore');
      } finally {
        admin.close();
      }
      const kept = JSON.parse(await readFile(before, 'utf8')) as { treeSize: number };
      const exported = join(work.path, 'after.ndjson');
      // Export until the log holds the new entry (its checkpoint comes with the export).
      await waitFor('the new entry in the export', async () => {
        const r = await cli(['audit', 'export', ...api, '-o', exported]);
        if (r.code !== 0) throw new Error(r.err);
        return (await readFile(exported, 'utf8')).includes('user:after-restore') ? true : undefined;
      });
      const verified = await cli(['audit', 'verify', exported, '--public-key', publicKey, '--checkpoint', before]);
      expect(verified.code, verified.out + verified.err).toBe(0);
      expect(verified.out).toContain(`checked against your checkpoint of size ${kept.treeSize}`);
      expect(verified.out).toMatch(/OK: every entry, root and signature verifies/);
      const sizes = /(\d+) entries, \d+ checkpoints, newest covers (\d+)/.exec(verified.out)!;
      expect(Number(sizes[1])).toBeGreaterThan(kept.treeSize);
    } finally {
      await coreB.close();
    }
  }, 180_000);

  it("backs up a device's key and puts it back in its stateDir, refusing to overwrite another key", async () => {
    await using work = await tempDir();
    const edgeConfig = join(work.path, 'edge.yaml');
    await writeFile(
      edgeConfig,
      stringify({
        deviceId: 'dev-7',
        siteId: 'site-1',
        stateDir: 'state',
        nats: { servers: ['tls://127.0.0.1:1'] },
        cameras: [
          {
            id: 'cam-1',
            source: { input: 'sample:vtest-video' },
            zone: {
              id: 'z',
              version: 1,
              polygon: [
                [0.1, 0.1],
                [0.9, 0.1],
                [0.9, 0.9],
              ],
            },
            signal: { schedule: resolve(import.meta.dirname, '../../edge/demo/signal-schedule.yaml') },
          },
        ],
      }),
    );
    const key = join(work.path, 'state', 'device-key.pem');
    expect((await cli(['edge', 'public-key', '--config', edgeConfig])).code).toBe(0);
    const original = await readFile(key, 'utf8');
    const dir = join(work.path, 'backup');
    const made = await cli(['backup', '--edge-config', edgeConfig, '-o', dir]);
    expect(made.code, made.err).toBe(0);
    expect(await readFile(join(dir, 'edge', 'dev-7', 'device-key.pem'), 'utf8')).toBe(original);
    // The device is replaced: a new key was made on the new disk before the restore.
    expect((await cli(['edge', 'rotate-key', '--config', edgeConfig])).code).toBe(0);
    const refused = await cli(['restore', '--edge-config', edgeConfig, '--from', dir]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/holds another key; move it aside/);
    await rm(key);
    const restored = await cli(['restore', '--edge-config', edgeConfig, '--from', dir]);
    expect(restored.code, restored.err).toBe(0);
    expect(await readFile(key, 'utf8')).toBe(original);
    expect((await stat(key)).mode & 0o777).toBe(0o600);
  });

  it('refuses a backup whose file was altered, naming the file', async () => {
    await using work = await tempDir();
    const dir = join(work.path, 'backup');
    await mkdir(dir);
    await writeFile(join(dir, 'audit-signing-key.pem'), 'changed');
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify({
        format: 'zebra-backup/v1',
        createdAtMs: 0,
        edges: [],
        files: { 'audit-signing-key.pem': { sha256: '0'.repeat(64), sizeBytes: 7 } },
      }),
    );
    await writeFile(join(work.path, 'core.yaml'), 'not: used');
    const r = await cli(['restore', '--config', join(work.path, 'core.yaml'), '--from', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit-signing-key\.pem: its SHA-256 differs from the manifest's/);
  });
});

describe('forward-only migrations, checked at start', () => {
  it('refuses a database a newer core migrated, naming the migration it does not know', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    await db.query("INSERT INTO schema_migrations (id) VALUES ('9999_from_a_newer_core')");
    await expect(migrate(db)).rejects.toMatchObject({
      code: 'CORE_SCHEMA_NEWER',
      message: expect.stringMatching(/newer than this core: it holds migration 9999_from_a_newer_core/),
    });
  });

  it('and the core does not start on it', async () => {
    await using nats = await startTestNats();
    await using work = await tempDir();
    await using target = await createTestDatabase();
    {
      await using db = await openTestDatabase(target);
      await migrate(db);
      await db.query("INSERT INTO schema_migrations (id) VALUES ('9999_from_a_newer_core')");
    }
    const config = await writeCoreConfig(work.path, nats, target);
    await setupTestHub(nats, await loadCoreConfig(config, {}));
    await expect(startFromFile(config)).rejects.toMatchObject({ code: 'CORE_SCHEMA_NEWER' });
  }, 60_000);
});
