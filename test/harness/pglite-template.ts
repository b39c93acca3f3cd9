import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** Names the run's empty PGlite cluster (set by the global setup, read by the test workers). */
export const PGLITE_TEMPLATE_ENV = 'ZEBRA_TEST_PGLITE_TEMPLATE';

/**
 * One empty PGlite cluster for the whole run, made by PGlite itself (its initdb, about 10 s of
 * CPU in WebAssembly) and closed. Each test database starts as a copy of it (about 1 s), so a
 * run pays for initdb once instead of once per test database. The copy is not migrated: every
 * test still runs the migrations as a fresh install does. Returns the folder and its removal.
 */
export async function makePgliteTemplate(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'zebra-pglite-template-'));
  const db = await PGlite.create(dir);
  await db.close();
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Fills the empty folder `dir` with a copy of the run's empty cluster, when the run made one. */
export async function copyPgliteTemplate(dir: string): Promise<void> {
  const template = process.env[PGLITE_TEMPLATE_ENV];
  if (template) await cp(template, dir, { recursive: true });
}
