import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createUser, issueToken } from '../api/admin-methods.js';
import type { ApiDeps } from '../api/method.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { countUsers } from './users-repo.js';

/** The user created on first start. */
export const BOOTSTRAP_ADMIN = 'admin';

/**
 * On a database without users, creates the `admin` user and writes a token for it to
 * `tokenFile` (mode 0600). Does nothing once any user exists. Returns whether it created one.
 */
export async function bootstrapAdmin(deps: ApiDeps, tokenFile: string, nowMs: number): Promise<boolean> {
  if ((await countUsers(deps.db)) > 0) return false;
  const ctx = { deps, nowMs, actor: 'system:bootstrap' };
  try {
    await createUser(ctx, { userId: BOOTSTRAP_ADMIN, displayName: 'Bootstrap administrator', roles: ['admin'] });
  } catch (err) {
    // Another replica bootstrapped first.
    if (err instanceof CoreError && err.code === CoreErrorCode.ALREADY_EXISTS) return false;
    throw err;
  }
  const { token } = await issueToken(ctx, BOOTSTRAP_ADMIN, 0, 'bootstrap');
  await mkdir(dirname(tokenFile), { recursive: true });
  // A new file, so it is created 0600 whatever an old file's mode was.
  await rm(tokenFile, { force: true });
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return true;
}
