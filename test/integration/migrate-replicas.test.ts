import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../core/index.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';

async function migrationIds(): Promise<string[]> {
  const dir = fileURLToPath(new URL('../../core/db/migrations/', import.meta.url));
  return (await readdir(dir))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

describe('migrations with several core replicas', () => {
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
});
