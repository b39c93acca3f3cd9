import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';

function wrap(q: Pick<PGlite, 'query'>): Queryable {
  return {
    query: async <R>(sql: string, params: readonly unknown[] = []) => {
      const result = await q.query<R>(sql, [...params]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  };
}

/** Embedded PostgreSQL (PGlite, WebAssembly) in a data folder. One process owns the folder. */
export async function openPglite(dataDir: string): Promise<Database> {
  const db = await PGlite.create(dataDir);
  return {
    ...wrap(db),
    kind: 'pglite',
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: () => db.close(),
  };
}
