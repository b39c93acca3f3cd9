import type { Database } from './database.js';

/**
 * Advisory lock keys of jobs that one core replica at a time runs. Above the int4 range, so
 * they never meet the `hashtext(...)` keys of per-row locks (core/ingest/release.ts).
 */
export const EXCLUSIVE_JOB = {
  migrations: 0x7a65_6272_0001,
  retention: 0x7a65_6272_0002,
} as const;

export type ExclusiveOutcome<T> = { readonly ran: true; readonly value: T } | { readonly ran: false };

/**
 * Runs `job` unless another core replica is running the job of `lockKey` now, in which case
 * it returns `{ ran: false }` at once: replicas on one PostgreSQL take turns instead of doing
 * the same work twice. The lock is a transaction-scoped advisory lock on a connection held
 * for the job's length (released with the transaction, also when this process dies); the job
 * itself queries through `db` as usual. PGlite is one process's database: the job just runs.
 */
export async function runExclusive<T>(
  db: Database,
  lockKey: number,
  job: () => Promise<T>,
): Promise<ExclusiveOutcome<T>> {
  if (db.kind === 'pglite') return { ran: true, value: await job() };
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [
      lockKey,
    ]);
    if (!rows[0]?.locked) return { ran: false } as const;
    return { ran: true, value: await job() } as const;
  });
}
