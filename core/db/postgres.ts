import pg from 'pg';
import type { Database, Queryable, Transaction } from './database.js';

/** A real PostgreSQL server through a `pg` pool. */
export async function openPostgres(url: string, applicationName: string): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, application_name: applicationName, max: 10 });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
  await pool.query('SELECT 1');
  const query: Queryable['query'] = async <R>(sql: string, params: readonly unknown[] = []) => {
    const result = await pool.query(sql, [...params]);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  };
  return {
    kind: 'postgres',
    query,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Transaction = {
          query: async <R>(sql: string, params: readonly unknown[] = []) => {
            const r = await client.query(sql, [...params]);
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
          },
          // No parameters: pg sends the text as one simple query, which may hold several statements.
          exec: async (sql: string) => {
            await client.query(sql);
          },
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}
