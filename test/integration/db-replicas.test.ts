import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../core/index.js';
import { runExclusive } from '../../core/db/exclusive.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';

async function migrationIds(): Promise<string[]> {
  const dir = fileURLToPath(new URL('../../core/db/migrations/', import.meta.url));
  return (await readdir(dir))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

describe('one PostgreSQL, several core replicas', () => {
  it('replicas starting together on an empty database apply each migration exactly once', async () => {
    await using target = await createTestDatabase();
    // Separate sessions on PostgreSQL, as separate core processes have; PGlite is one session
    // in one process, so there the three runs share it.
    const sessions = target.kind === 'postgres' ? 3 : 1;
    const handles = await Promise.all(Array.from({ length: sessions }, () => openTestDatabase(target)));
    try {
      const results = await Promise.all([0, 1, 2].map((i) => migrate(handles[i % sessions]!)));
      const ids = await migrationIds();
      expect(results.flat().sort()).toEqual(ids);
      const { rows } = await handles[0]!.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual(ids);
    } finally {
      for (const db of handles) await db.close();
    }
  });

  it('an exclusive job runs on one replica at a time; the others skip it while it runs', async () => {
    await using target = await createTestDatabase();
    await using a = await openTestDatabase(target);
    if (target.kind === 'pglite') {
      // One process's database: nothing to take turns with.
      expect(await runExclusive(a, 42, () => Promise.resolve('ran'))).toEqual({ ran: true, value: 'ran' });
      return;
    }
    await using b = await openTestDatabase(target);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    const first = runExclusive(a, 42, async () => {
      started();
      await held;
      return 'a';
    });
    await isStarted;
    expect(await runExclusive(b, 42, () => Promise.resolve('b'))).toEqual({ ran: false });
    // Another job's lock is free meanwhile.
    expect(await runExclusive(b, 43, () => Promise.resolve('other'))).toEqual({ ran: true, value: 'other' });
    release();
    expect(await first).toEqual({ ran: true, value: 'a' });
    expect(await runExclusive(b, 42, () => Promise.resolve('b'))).toEqual({ ran: true, value: 'b' });
    // A job that throws releases the lock too.
    await expect(runExclusive(a, 42, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await runExclusive(b, 42, () => Promise.resolve('b'))).toEqual({ ran: true, value: 'b' });
  });
});
