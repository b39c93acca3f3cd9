import { loadPinnedKey } from '../pinned-key.js';
import type { PinnedKey } from '../pinned-key.js';

/** The core's receipt key, pinned on the device. */
export type CoreKey = PinnedKey;

/** Reads the core's Ed25519 public key (PEM). Throws EDGE_CONFIG_INVALID naming outbox.coreKeyFile. */
export function loadCoreKey(path: string): Promise<CoreKey> {
  return loadPinnedKey(path, 'outbox.coreKeyFile', "copy the core's key there: zebra audit public-key");
}
