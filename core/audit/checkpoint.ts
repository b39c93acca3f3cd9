import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { keyIdOf } from '../../proto/key-id.js';

/** A tree head: the log had `treeSize` entries and this root at `atMs`. */
export interface Checkpoint {
  /** Names the log, so a checkpoint of one log cannot pass for another's. */
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly atMs: number;
}

/** A checkpoint with its Ed25519 signature and the signing key's id. */
export interface SignedCheckpoint extends Checkpoint {
  readonly keyId: string;
  readonly signature: Buffer;
}

/** The signed body, in the C2SP signed-note layout: origin, size, base64 root, then our timestamp line. */
export function checkpointBody(cp: Checkpoint): Buffer {
  return Buffer.from(`${cp.origin}\n${cp.treeSize}\n${cp.rootHash.toString('base64')}\nat ${cp.atMs}\n`, 'utf8');
}

export { keyIdOf };

export function signCheckpoint(cp: Checkpoint, privateKey: KeyObject, publicKey: KeyObject): SignedCheckpoint {
  return { ...cp, keyId: keyIdOf(publicKey), signature: sign(null, checkpointBody(cp), privateKey) };
}

/** True when the signature is by `publicKey` over exactly this checkpoint. */
export function isCheckpointSigned(cp: SignedCheckpoint, publicKey: KeyObject): boolean {
  return cp.keyId === keyIdOf(publicKey) && verify(null, checkpointBody(cp), publicKey, cp.signature);
}
