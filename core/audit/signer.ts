import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import type { Queryable } from '../db/database.js';
import { auditSize, insertCheckpoint, listCheckpoints, loadLeafHashes } from './audit-repo.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { keyIdOf, signCheckpoint } from './checkpoint.js';
import { merkleRoot } from './merkle.js';
import { assertPrivateFile } from '../private-files.js';

/** The checkpoint signing key. It lives in a file outside the database. */
export interface CheckpointSigner {
  readonly origin: string;
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly privateKey: KeyObject;
}

/**
 * Reads the Ed25519 key at `path`, creating it (mode 0600) on first start. A key file the
 * group or others may read is refused: whoever reads it can sign checkpoints and tickets.
 */
export async function loadOrCreateSigner(path: string, origin: string): Promise<CheckpointSigner> {
  await assertPrivateFile(path, 'audit.signingKeyFile');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(path, 'utf8'));
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`key type is ${privateKey.asymmetricKeyType}, not ed25519`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CoreError(CoreErrorCode.CONFIG_INVALID, `audit.signingKeyFile: ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    privateKey = generateKeyPairSync('ed25519').privateKey;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  const publicKey = createPublicKey(privateKey);
  return {
    origin,
    keyId: keyIdOf(publicKey),
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey,
  };
}

/**
 * Signs a checkpoint over the whole log if it grew since the last one; returns the newest
 * checkpoint either way (undefined while the log is empty).
 */
export async function checkpointNow(
  db: Queryable,
  signer: CheckpointSigner,
  nowMs: number,
): Promise<SignedCheckpoint | undefined> {
  const latest = (await listCheckpoints(db)).at(-1);
  const size = await auditSize(db);
  if (size === 0 || (latest && latest.treeSize >= size)) return latest;
  const rootHash = merkleRoot(await loadLeafHashes(db, size));
  const cp = signCheckpoint(
    { origin: signer.origin, treeSize: size, rootHash, atMs: nowMs },
    signer.privateKey,
    signer.publicKey,
  );
  await insertCheckpoint(db, cp);
  return cp;
}
