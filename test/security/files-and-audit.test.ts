import { chmod, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDeviceKey } from '../../edge/publish/device-key.js';
import { writeTestCoreKey } from '../harness/core-key.js';
import { startTestCore } from '../harness/core.js';
import { createTestDatabase } from '../harness/database.js';
import { startTestNats } from '../harness/nats.js';
import type { TestNats } from '../harness/nats.js';
import { migratedTestDatabase, startTestStack } from '../harness/stack.js';
import { tempDir } from '../harness/temp.js';

/** Every path under `dir` (itself included) with its permission bits. */
async function modesUnder(dir: string): Promise<{ path: string; mode: number; isDir: boolean }[]> {
  const out = [{ path: dir, mode: (await stat(dir)).mode & 0o777, isDir: true }];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    const s = await stat(path);
    out.push({ path, mode: s.mode & 0o777, isDir: s.isDirectory() });
  }
  return out;
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

describe('key files and the database folder are private', () => {
  let nats: TestNats;

  beforeAll(async () => {
    nats = await startTestNats();
  });

  afterAll(async () => {
    await nats?.[Symbol.asyncDispose]();
  });

  it.skipIf(Boolean(process.env.DATABASE_URL))('keeps the PGlite folder 0700 and its files 0600', async () => {
    await using stack = await startTestStack();
    const dir = stack.database.config.pgliteDir!;
    const modes = await modesUnder(dir);
    expect(modes.length).toBeGreaterThan(10);
    const open = modes.filter((m) => (m.isDir ? m.mode !== 0o700 : m.mode !== 0o600));
    expect(open.map((m) => `${octal(m.mode)} ${m.path}`)).toEqual([]);
  });

  it.skipIf(Boolean(process.env.DATABASE_URL))(
    'refuses to start on a PGlite folder others can read, naming it',
    async () => {
      await using database = await createTestDatabase();
      const dir = database.config.pgliteDir!;
      await chmod(dir, 0o755);
      await expect(startTestCore(nats, database)).rejects.toThrow(
        new RegExp(`database\\.pgliteDir.*${dir}.*chmod 700 ${dir}`),
      );
    },
  );

  it('refuses to start when the audit signing key is readable by others, naming the key and the fix', async () => {
    await using database = await createTestDatabase();
    await using keys = await tempDir('zebra-keys-');
    const keyFile = join(keys.path, 'audit-key.pem');
    await writeTestCoreKey(keyFile);
    await chmod(keyFile, 0o644);
    await expect(startTestCore(nats, database, { audit: { signingKeyFile: keyFile } })).rejects.toThrow(
      new RegExp(`audit\\.signingKeyFile.*${keyFile}.*chmod 600 ${keyFile}`),
    );
  });

  it('refuses to start when the bootstrap token file is readable by others', async () => {
    await using database = await createTestDatabase();
    await using keys = await tempDir('zebra-keys-');
    const tokenFile = join(keys.path, 'admin-token');
    await writeFile(tokenFile, 'zbt.old\n');
    await chmod(tokenFile, 0o644);
    await expect(startTestCore(nats, database, { auth: { bootstrapTokenFile: tokenFile } })).rejects.toThrow(
      new RegExp(`auth\\.bootstrapTokenFile.*${tokenFile}.*chmod 600 ${tokenFile}`),
    );
  });

  it('creates the device key 0600 and refuses one readable by others', async () => {
    await using state = await tempDir('zebra-edge-state-');
    const keyFile = join(state.path, 'keys', 'device-key.pem');
    await loadOrCreateDeviceKey(keyFile);
    expect(octal((await stat(keyFile)).mode & 0o777)).toBe('0600');
    await chmod(keyFile, 0o644);
    await expect(loadOrCreateDeviceKey(keyFile)).rejects.toThrow(new RegExp(`${keyFile}.*chmod 600 ${keyFile}`));
    await chmod(keyFile, 0o600);
    await expect(loadOrCreateDeviceKey(keyFile)).resolves.toMatchObject({ keyId: expect.any(String) as string });
  });
});

describe('the audit tables refuse TRUNCATE', () => {
  it.each(['audit_log', 'audit_checkpoints', 'audit_head', 'audit_nodes'])('TRUNCATE %s is refused', async (table) => {
    await using db = await migratedTestDatabase();
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE audit_head SET next_seq = next_seq + 1`);
      await tx.query(
        `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash)
         VALUES (0, now(), 'test', 'test.entry', 's', '\\x00', decode(repeat('00', 32), 'hex'))`,
      );
    });
    await expect(db.query(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only.*TRUNCATE/);
    const { rows } = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM audit_log');
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
