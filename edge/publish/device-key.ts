import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';

/** The device's Ed25519 signing key. The private half never leaves the device. */
export interface DeviceKey {
  /** First 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  readonly keyId: string;
  /** PEM of the public key, for registering the device with the core. */
  readonly publicKeyPem: string;
  sign(data: Uint8Array): Buffer;
}

function fromPrivateKey(privateKey: KeyObject): DeviceKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (data) => sign(null, data, privateKey),
  };
}

/**
 * Refuses a device key the group or others may read: whoever reads it can sign events as
 * this device.
 */
async function assertPrivate(path: string): Promise<void> {
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => undefined,
  );
  if (mode === undefined || (mode & 0o077) === 0) return;
  throw new EdgeError(
    EdgeErrorCode.DEVICE_KEY_INVALID,
    `stateDir: the device key ${path} is open to the group or others (mode ${mode.toString(8).padStart(4, '0')}). Fix: chmod 600 ${path}`,
  );
}

/** Reads the device key at `path`, creating it (mode 0600) on first start. */
export async function loadOrCreateDeviceKey(path: string): Promise<DeviceKey> {
  let pem: string | undefined;
  await assertPrivate(path);
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new EdgeError(EdgeErrorCode.DEVICE_KEY_INVALID, `cannot read device key ${path}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    return fromPrivateKey(privateKey);
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key type is ${key.asymmetricKeyType}, not ed25519`);
    return fromPrivateKey(key);
  } catch (err) {
    throw new EdgeError(
      EdgeErrorCode.DEVICE_KEY_INVALID,
      `device key ${path} is not an Ed25519 private key: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
