import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import type { CoreConfig } from '../config.js';

/**
 * The database half of a backup: pg_dump / pg_restore (Debian's postgresql-client) for a
 * PostgreSQL server, PGlite's own data-folder dump for the embedded database.
 */

type DatabaseConfig = CoreConfig['database'];

/** The connection URL without its password, and the password for PGPASSWORD (never on a command line). */
function splitPassword(url: string): { url: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.toString(), env: password ? { PGPASSWORD: password } : {} };
}

/** Runs a PostgreSQL client tool; rejects with its stderr, or with the package to install. */
function runTool(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new CoreError(
              CoreErrorCode.BACKUP_INVALID,
              `${command} is not installed: apt-get install -y postgresql-client (the major version of the server)`,
            )
          : err,
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new CoreError(CoreErrorCode.BACKUP_INVALID, `${command} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

/**
 * Writes the database to `file`: pg_dump's custom format (a consistent snapshot; the core may
 * keep running) or, for PGlite, its data folder (the core must be stopped: one process owns it).
 */
export async function dumpDatabase(config: DatabaseConfig, file: string): Promise<void> {
  if (config.url) {
    const { url, env } = splitPassword(config.url);
    await runTool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, url], env);
    return;
  }
  const dir = config.pgliteDir;
  if (!dir) throw new CoreError(CoreErrorCode.BACKUP_INVALID, 'set database.url or database.pgliteDir');
  let db: PGlite;
  try {
    db = await PGlite.create(dir);
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.BACKUP_INVALID,
      `database.pgliteDir: cannot open ${config.pgliteDir} (is the core stopped? PGlite is one process's): ${errorMessage(err)}`,
      { cause: err },
    );
  }
  try {
    const dump = await db.dumpDataDir('gzip');
    await writeFile(file, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
  } finally {
    await db.close();
  }
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/**
 * Loads `file` into the configured database, which must be fresh: an empty database on the
 * server (pg_restore in one transaction, stopping at the first error), or a PGlite folder
 * that does not exist yet or is empty.
 */
export async function restoreDatabase(config: DatabaseConfig, file: string): Promise<void> {
  if (config.url) {
    const { url, env } = splitPassword(config.url);
    await runTool(
      'pg_restore',
      ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${url}`, file],
      env,
    );
    return;
  }
  const dir = config.pgliteDir!;
  if (!(await isEmptyDir(dir)))
    throw new CoreError(
      CoreErrorCode.BACKUP_INVALID,
      `database.pgliteDir: ${dir} is not empty; a restore goes into a fresh folder (move the old one aside)`,
    );
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create({ dataDir: dir, loadDataDir: new Blob([await readFile(file)]) });
  await db.close();
}
