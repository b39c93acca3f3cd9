import { createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { auditLogSize, latestCheckpoint } from '../audit/audit-repo.js';
import { isCheckpointSigned } from '../audit/checkpoint.js';
import { checkpointFromJson, checkpointToJson, CheckpointJson } from '../audit/export-format.js';
import { treeRoot } from '../audit/tree-repo.js';
import type { CoreConfig } from '../config.js';
import { knownMigrations, assertNotNewer } from '../db/migrate.js';
import { openDatabase } from '../main.js';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import { dumpDatabase, restoreDatabase } from './database-dump.js';
import { BACKUP_FILES, BACKUP_FORMAT, BackupManifest, checkFile, fileEntry } from './manifest.js';

type BackupConfig = Pick<CoreConfig, 'database' | 'audit'>;

const fail = (message: string, cause?: unknown): CoreError =>
  new CoreError(CoreErrorCode.BACKUP_INVALID, message, cause === undefined ? undefined : { cause });

/** Makes `dir` for a new backup: it must not exist yet or be empty; mode 0700 (it holds keys). */
export async function createBackupDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0) throw fail(`${dir} is not empty: a backup goes into a new folder`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** What the core's part of a backup records. */
export type CoreBackupSummary = NonNullable<BackupManifest['core']>;

/**
 * The core's part of a backup into `dir` (made with createBackupDir): the database, the audit
 * signing key and the newest signed checkpoint. Adds their files to `files`.
 */
export async function backupCore(
  config: BackupConfig,
  dir: string,
  files: Record<string, { sha256: string; sizeBytes: number }>,
): Promise<CoreBackupSummary> {
  const keyPem = await readFile(config.audit.signingKeyFile).catch((err: unknown) => {
    throw fail(`audit.signingKeyFile: cannot read ${config.audit.signingKeyFile}: ${errorMessage(err)}`, err);
  });
  const db = await openDatabase(config.database);
  let summary: CoreBackupSummary;
  let checkpoint;
  try {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    checkpoint = await latestCheckpoint(db);
    summary = {
      databaseKind: db.kind,
      migrations: rows.map((r) => r.id),
      auditLogSize: await auditLogSize(db),
      checkpointTreeSize: checkpoint?.treeSize ?? null,
    };
  } finally {
    await db.close();
  }
  // After the checkpoint was read: the log only grows, so the dump holds it.
  const dumpName = summary.databaseKind === 'postgres' ? BACKUP_FILES.postgresDump : BACKUP_FILES.pgliteDump;
  await dumpDatabase(config.database, join(dir, dumpName));
  await chmod(join(dir, dumpName), 0o600);
  files[dumpName] = fileEntry(await readFile(join(dir, dumpName)));
  await writeFile(join(dir, BACKUP_FILES.auditKey), keyPem, { mode: 0o600 });
  files[BACKUP_FILES.auditKey] = fileEntry(keyPem);
  if (checkpoint) {
    const json = Buffer.from(`${JSON.stringify(checkpointToJson(checkpoint), null, 2)}\n`);
    await writeFile(join(dir, BACKUP_FILES.checkpoint), json, { mode: 0o600 });
    files[BACKUP_FILES.checkpoint] = fileEntry(json);
  }
  return summary;
}

/** Reads a backup's manifest and checks every file it lists against its hash. */
export async function readBackup(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = BackupManifest.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  } catch (err) {
    throw fail(`${dir}/manifest.json: not a complete ${BACKUP_FORMAT} backup: ${errorMessage(err)}`, err);
  }
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(manifest.files)) {
    const bytes = await readFile(join(dir, name)).catch(() => undefined);
    problems.push(...(bytes ? checkFile(name, expected, bytes) : [`${name}: missing`]));
  }
  if (problems.length > 0) throw fail(`${dir} is not the backup its manifest describes: ${problems.join('; ')}`);
  return manifest;
}

async function restoreKey(config: BackupConfig, pem: Buffer): Promise<void> {
  const path = config.audit.signingKeyFile;
  const existing = await readFile(path).catch(() => undefined);
  if (existing && !existing.equals(pem))
    throw fail(
      `audit.signingKeyFile: ${path} holds another key; move it aside to restore the backup's (the log's checkpoints are signed with that one)`,
    );
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, pem, { mode: 0o600 });
}

async function assertFreshPostgres(config: BackupConfig): Promise<void> {
  if (!config.database.url) return;
  const db = await openDatabase(config.database);
  try {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    );
    if (rows[0]!.n > 0) throw fail('database.url: the database has tables; a restore goes into a new, empty database');
  } finally {
    await db.close();
  }
}

/**
 * Restores the core's part of a checked backup into a fresh database and the configured key
 * file, then checks the restored log: its head covers the backup's checkpoint and the Merkle
 * root recomputed from the restored tree equals the signed one.
 */
export async function restoreCore(config: BackupConfig, dir: string, manifest: BackupManifest): Promise<void> {
  const core = manifest.core;
  if (!core) throw fail(`${dir} holds no core backup (only edge keys)`);
  assertNotNewer(new Set(core.migrations), await knownMigrations());
  const wantsPostgres = config.database.url !== undefined;
  if (wantsPostgres !== (core.databaseKind === 'postgres'))
    throw fail(
      `the backup is of a ${core.databaseKind} database; the config names a ${wantsPostgres ? 'postgres' : 'pglite'} one`,
    );
  await assertFreshPostgres(config);
  const keyPem = await readFile(join(dir, BACKUP_FILES.auditKey));
  await restoreKey(config, keyPem);
  const dumpName = core.databaseKind === 'postgres' ? BACKUP_FILES.postgresDump : BACKUP_FILES.pgliteDump;
  await restoreDatabase(config.database, join(dir, dumpName));
  const db = await openDatabase(config.database);
  try {
    const size = await auditLogSize(db);
    if (size < core.auditLogSize) throw fail(`the restored log has ${size} entries, the backup ${core.auditLogSize}`);
    if (core.checkpointTreeSize === null) return;
    const kept = checkpointFromJson(
      CheckpointJson.parse(JSON.parse(await readFile(join(dir, BACKUP_FILES.checkpoint), 'utf8'))),
    );
    const publicKey = createPublicKey(createPrivateKey(keyPem));
    if (!isCheckpointSigned(kept, publicKey))
      throw fail(`${BACKUP_FILES.checkpoint} is not signed by the backup's key`);
    const root = await treeRoot(db, kept.treeSize);
    if (!root.equals(kept.rootHash))
      throw fail(`the restored log's root at size ${kept.treeSize} is not the one the backup's checkpoint signed`);
  } finally {
    await db.close();
  }
}
