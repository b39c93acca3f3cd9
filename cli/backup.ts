import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BACKUP_FORMAT,
  backupCore,
  createBackupDir,
  fileEntry,
  loadCoreConfig,
  readBackup,
  restoreCore,
  safeName,
} from '../core/index.js';
import type { BackupManifest } from '../core/index.js';
import { loadEdgeConfig } from '../edge/index.js';

/**
 * `zebra backup` / `zebra restore`: the core's database, audit signing key and newest
 * checkpoint, and each named edge device's key, into one folder with a manifest of hashes.
 */

export interface BackupOpts {
  readonly config?: string;
  readonly edgeConfig?: string[];
  readonly out: string;
}

export interface RestoreOpts {
  readonly config?: string;
  readonly edgeConfig?: string[];
  readonly from: string;
}

const DEVICE_KEY = 'device-key.pem';
const say = (line: string): void => void process.stderr.write(`${line}\n`);

function needSomething(opts: { config?: string; edgeConfig?: string[] }): void {
  if (!opts.config && !opts.edgeConfig?.length)
    throw new Error('name what to back up or restore: --config CORE.yaml and/or --edge-config EDGE.yaml');
}

/** `zebra backup -o DIR [--config CORE.yaml] [--edge-config EDGE.yaml ...]`. */
export async function backup(opts: BackupOpts): Promise<number> {
  needSomething(opts);
  await createBackupDir(opts.out);
  const files: BackupManifest['files'] = {};
  let core: BackupManifest['core'];
  if (opts.config) {
    core = await backupCore(await loadCoreConfig(opts.config, process.env), opts.out, files);
    say(
      `core: ${core.databaseKind} database (${core.migrations.length} migrations, ${core.auditLogSize} audit entries), ` +
        `audit signing key, checkpoint ${core.checkpointTreeSize ?? 'none yet'}`,
    );
  }
  const edges: BackupManifest['edges'] = [];
  for (const file of opts.edgeConfig ?? []) {
    const edge = await loadEdgeConfig(file, process.env);
    const pem = await readFile(join(edge.stateDir, DEVICE_KEY)).catch((err: unknown) => {
      throw new Error(`${file}: no device key in stateDir ${edge.stateDir} (${(err as Error).message})`);
    });
    const name = join('edge', safeName(edge.deviceId), DEVICE_KEY);
    await mkdir(join(opts.out, 'edge', safeName(edge.deviceId)), { recursive: true, mode: 0o700 });
    await writeFile(join(opts.out, name), pem, { mode: 0o600 });
    files[name] = fileEntry(pem);
    edges.push({ deviceId: edge.deviceId, siteId: edge.siteId });
    say(`edge: device ${edge.deviceId} (site ${edge.siteId}) key`);
  }
  const manifest: BackupManifest = { format: BACKUP_FORMAT, createdAtMs: Date.now(), core, edges, files };
  // Written last: a folder without it is an unfinished backup and is refused on restore.
  await writeFile(join(opts.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  process.stdout.write(
    `backup written to ${opts.out} (${Object.keys(files).length} files); it holds secrets: keep it 0700, offline or encrypted\n`,
  );
  return 0;
}

async function restoreEdgeKey(dir: string, manifest: BackupManifest, file: string): Promise<void> {
  const edge = await loadEdgeConfig(file, process.env);
  const name = join('edge', safeName(edge.deviceId), DEVICE_KEY);
  if (!manifest.files[name]) throw new Error(`${dir} holds no key for device ${edge.deviceId}`);
  const pem = await readFile(join(dir, name));
  const target = join(edge.stateDir, DEVICE_KEY);
  const existing = await readFile(target).catch(() => undefined);
  if (existing && !existing.equals(pem))
    throw new Error(`${target} holds another key; move it aside to restore device ${edge.deviceId}'s`);
  await mkdir(edge.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(target, pem, { mode: 0o600 });
  await chmod(target, 0o600);
  say(`edge: device ${edge.deviceId} key restored to ${target}`);
}

/** `zebra restore --from DIR [--config CORE.yaml] [--edge-config EDGE.yaml ...]`. */
export async function restore(opts: RestoreOpts): Promise<number> {
  needSomething(opts);
  const manifest = await readBackup(opts.from);
  say(`backup of ${new Date(manifest.createdAtMs).toISOString()}: every file matches its manifest hash`);
  if (opts.config) {
    await restoreCore(await loadCoreConfig(opts.config, process.env), opts.from, manifest);
    say(
      `core: database restored and checked (the log's root at ${manifest.core?.checkpointTreeSize ?? 0} is the signed one); audit signing key in place`,
    );
  }
  for (const file of opts.edgeConfig ?? []) await restoreEdgeKey(opts.from, manifest, file);
  process.stdout.write(`restored from ${opts.from}\n`);
  return 0;
}
