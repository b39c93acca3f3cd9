import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import type { Database, Queryable } from './database.js';
import { EXCLUSIVE_JOB } from './exclusive.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Every migration step takes the transaction-scoped advisory lock EXCLUSIVE_JOB.migrations
 * first (waiting for it): core replicas starting together on one empty database apply each
 * migration once, in turn (without it both run 0001 and one fails on a table that exists).
 */
const lockMigrations = (tx: Queryable): Promise<unknown> =>
  tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [EXCLUSIVE_JOB.migrations]);

/**
 * Applies every migration in migrations/ not yet recorded, in file-name order, each in its own
 * transaction. Forward only: there are no down migrations. Returns the ids applied now (by
 * this call: one another replica applied meanwhile is skipped, not repeated).
 */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.transaction(async (tx) => {
    await lockMigrations(tx);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
  });
  const applied = new Set((await db.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  assertNotNewer(applied, files);
  const done: string[] = [];
  for (const file of files) {
    const id = file.replace(/\.sql$/, '');
    if (applied.has(id)) continue;
    const sql = await readFile(`${dir}${file}`, 'utf8');
    let isApplied = false;
    try {
      await db.transaction(async (tx) => {
        await lockMigrations(tx);
        // Read after the lock (read committed: a fresh snapshot), so another replica's is seen.
        const { rows } = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [id]);
        if (rows.length > 0) return;
        await tx.exec(sql); // the database parses the script: strings, $$ bodies and comments included
        await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [id]);
        isApplied = true;
      });
    } catch (err) {
      throw new CoreError(CoreErrorCode.DB_UNAVAILABLE, `migration ${file} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (isApplied) done.push(id);
  }
  return done;
}

/** The migration ids this core has, in order. */
export async function knownMigrations(dir = MIGRATIONS_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
}

/**
 * Forward only, checked at start: a database that holds a migration this core does not have was
 * migrated by a newer core, and this one refuses it rather than run against a schema it does
 * not know (a rolled-back upgrade restores the backup taken before it instead).
 */
export function assertNotNewer(applied: ReadonlySet<string>, files: readonly string[]): void {
  const known = new Set(files.map((f) => f.replace(/\.sql$/, '')));
  const unknown = [...applied].filter((id) => !known.has(id)).sort();
  if (unknown.length === 0) return;
  throw new CoreError(
    CoreErrorCode.SCHEMA_NEWER,
    `the database is newer than this core: it holds migration ${unknown.join(', ')}, which this core does not ` +
      `know (its newest is ${[...known].sort().at(-1) ?? 'none'}). Run the core version that migrated it, or ` +
      'restore the backup taken before the upgrade (docs/operations.md)',
  );
}
