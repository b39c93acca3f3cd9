import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import type { Database } from '../db/database.js';
import { auditLogSize, insertCheckpoint, latestCheckpoint } from './audit-repo.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { keyIdOf, signCheckpoint } from './checkpoint.js';
import { treeRoot } from './tree-repo.js';
import { assertPrivateFile } from '../private-files.js';

function keyFileError(path: string, err: unknown): CoreError {
  return new CoreError(CoreErrorCode.CONFIG_INVALID, `audit.signingKeyFile: ${path}: ${errorMessage(err)}`, {
    cause: err,
  });
}

/**
 * Writes a new Ed25519 key (mode 0600) to `path` and returns its PEM, or, when another core
 * replica sharing the volume created it first, returns theirs. The key is written whole to a
 * file of this process's own and then linked into place, so no reader sees half a key and two
 * replicas starting together end up with one key.
 */
async function createKeyFile(path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const own = `${path}.${randomUUID()}.new`;
  await writeFile(own, pem, { mode: 0o600, flag: 'wx' });
  try {
    await link(own, path);
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw keyFileError(path, err);
    return readFile(path, 'utf8');
  } finally {
    await unlink(own).catch(() => undefined);
  }
}

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
  let pem = await readFile(path, 'utf8').catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw keyFileError(path, err);
  });
  pem ??= await createKeyFile(path);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`key type is ${privateKey.asymmetricKeyType}, not ed25519`);
  } catch (err) {
    throw keyFileError(path, err);
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
 * The PostgreSQL advisory lock the signer holds while it signs: one replica signs at a time.
 * (Any fixed 64-bit number other code does not use; this one spells "zebraCP1".)
 */
export const SIGNER_LOCK_KEY = '8819563688672579633';

/**
 * Signs a checkpoint over the whole log if it grew since the last one; returns the newest
 * checkpoint either way (undefined while none is signed). Reads O(log n) tree nodes. Runs
 * under a transaction-scoped advisory lock, so one replica signs at a time. If another replica
 * holds it (it is signing), the timer (`waitForSigner` false) skips its turn and gets the
 * newest checkpoint already signed; a caller who needs a checkpoint over the whole log (an
 * export, a custody report) waits the few milliseconds a signature takes, then signs whatever
 * the other did not cover. The lock ends with the transaction, so when a replica dies the next
 * one signs on its next call.
 */
export async function checkpointNow(
  db: Database,
  signer: CheckpointSigner,
  nowMs: number,
  { waitForSigner = false }: { readonly waitForSigner?: boolean } = {},
): Promise<SignedCheckpoint | undefined> {
  return db.transaction(async (tx) => {
    if (waitForSigner) await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [SIGNER_LOCK_KEY]);
    else {
      const { rows } = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [
        SIGNER_LOCK_KEY,
      ]);
      if (!rows[0]!.locked) return latestCheckpoint(tx);
    }
    // Read after the lock: what a signer before us committed is seen (read committed).
    const latest = await latestCheckpoint(tx);
    const size = await auditLogSize(tx);
    if (size === 0 || (latest && latest.treeSize >= size)) return latest;
    const cp = signCheckpoint(
      { origin: signer.origin, treeSize: size, rootHash: await treeRoot(tx, size), atMs: nowMs },
      signer.privateKey,
      signer.publicKey,
    );
    await insertCheckpoint(tx, cp);
    return cp;
  });
}
