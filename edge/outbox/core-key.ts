import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { keyIdOf } from '../../proto/index.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';

/** The core's receipt key, pinned on the device. */
export interface CoreKey {
  readonly keyId: string;
  readonly publicKey: KeyObject;
}

/** Reads the core's Ed25519 public key (PEM). Throws EDGE_CONFIG_INVALID naming outbox.coreKeyFile. */
export async function loadCoreKey(path: string): Promise<CoreKey> {
  try {
    const publicKey = createPublicKey(await readFile(path, 'utf8'));
    if (publicKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`key type is ${publicKey.asymmetricKeyType}, not ed25519`);
    return { keyId: keyIdOf(publicKey), publicKey };
  } catch (err) {
    throw new EdgeError(
      EdgeErrorCode.CONFIG_INVALID,
      `outbox.coreKeyFile: ${path}: ${errorMessage(err)} (copy the core's key there: zebra audit public-key)`,
      { cause: err },
    );
  }
}
