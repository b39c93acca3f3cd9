import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { keyIdOf } from '../proto/index.js';
import { EdgeError, EdgeErrorCode, errorMessage } from './errors.js';

/** An Ed25519 public key the device pins: only messages it signs are acted on. */
export interface PinnedKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
}

/**
 * Reads an Ed25519 public key (PEM). Throws EDGE_CONFIG_INVALID naming `configKey`, the path
 * and the problem, followed by `hint` (where to get the key).
 */
export async function loadPinnedKey(path: string, configKey: string, hint: string): Promise<PinnedKey> {
  try {
    const publicKey = createPublicKey(await readFile(path, 'utf8'));
    if (publicKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`key type is ${publicKey.asymmetricKeyType}, not ed25519`);
    return { keyId: keyIdOf(publicKey), publicKey };
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `${configKey}: ${path}: ${errorMessage(err)} (${hint})`, {
      cause: err,
    });
  }
}
