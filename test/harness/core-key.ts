import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { keyIdOf } from '../../proto/index.js';
import type { ReceiptSigningKey } from '../../proto/index.js';
import type { CoreKey } from '../../edge/outbox/index.js';

/** PKCS#8 DER of an Ed25519 key is this prefix and the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The test cores' audit (and receipt) key: one fixed key, so a device started in another
 * process than its core pins the same one. Test use only.
 */
const TEST_CORE_PRIVATE_KEY = createPrivateKey({
  key: Buffer.concat([ED25519_PKCS8_PREFIX, createHash('sha256').update('zebra test core key').digest()]),
  format: 'der',
  type: 'pkcs8',
});

/** What a test device pins: the test cores' public key and its id. */
export function testCoreKey(): CoreKey {
  const publicKey = createPublicKey(TEST_CORE_PRIVATE_KEY);
  return { keyId: keyIdOf(publicKey), publicKey };
}

/** Writes the test cores' key where a core's audit.signingKeyFile points, before it starts. */
export async function writeTestCoreKey(path: string): Promise<void> {
  await writeFile(path, TEST_CORE_PRIVATE_KEY.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

/** The test cores' public key as PEM, for an edge config's outbox.coreKeyFile. */
export function testCoreKeyPem(): string {
  return testCoreKey().publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** The test cores' receipt signing key, for a test that plays the core. */
export function testCoreSigningKey(): ReceiptSigningKey {
  return { keyId: testCoreKey().keyId, privateKey: TEST_CORE_PRIVATE_KEY };
}
