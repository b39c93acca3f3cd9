import { chmod, readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import { CoreError, CoreErrorCode } from './errors.js';

/** Permission bits for the group and for others. */
const GROUP_OR_OTHERS = 0o077;

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(4, '0');

/**
 * Refuses (CORE_CONFIG_INVALID, naming the config key, the path and the fix) a secret file that
 * the group or others may read or write. A file that does not exist yet passes: it is created
 * 0600 by whoever writes it.
 */
export async function assertPrivateFile(path: string, configKey: string): Promise<void> {
  const mode = await modeOf(path);
  if (mode === undefined || (mode & GROUP_OR_OTHERS) === 0) return;
  throw new CoreError(
    CoreErrorCode.CONFIG_INVALID,
    `${configKey}: ${path} is open to the group or others (mode ${octal(mode)}); it holds a secret. Fix: chmod 600 ${path}`,
  );
}

/** As {@link assertPrivateFile}, for a folder (fix: chmod 700). */
export async function assertPrivateDir(path: string, configKey: string): Promise<void> {
  const mode = await modeOf(path);
  if (mode === undefined || (mode & GROUP_OR_OTHERS) === 0) return;
  throw new CoreError(
    CoreErrorCode.CONFIG_INVALID,
    `${configKey}: ${path} is open to the group or others (mode ${octal(mode)}); it holds the database. Fix: chmod 700 ${path}`,
  );
}

/**
 * Folders 0700 and files 0600 under `dir` (itself included). PGlite's file system layer
 * creates its files 0666 whatever the umask, so the core tightens them after it opens the
 * database and after migrations; files PGlite creates later sit in a 0700 folder that no one
 * else can enter.
 */
export async function makeTreePrivate(dir: string): Promise<void> {
  let entries: Dirent[];
  try {
    await chmod(dir, 0o700);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    // A temporary folder PGlite removed meanwhile.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeTreePrivate(path);
    else if (entry.isFile())
      await chmod(path, 0o600).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      });
  }
}

async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
