import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ReceiptBatch, SignedReceiptBatch } from './gen/zebra/v1/event.js';
import type { Receipt } from './gen/zebra/v1/event.js';

/** Keeps a receipt signature from passing for anything else the same key signs (checkpoints). */
const RECEIPT_CONTEXT = Buffer.from('zebra.v1.receipts\n', 'utf8');

function signingBytes(batch: Uint8Array): Buffer {
  return Buffer.concat([RECEIPT_CONTEXT, batch]);
}

/** The core's key for receipts: its audit checkpoint key. */
export interface ReceiptSigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/** One device's receipts as the message the core publishes: the encoded batch and its signature. */
export function signReceiptBatch(receipts: readonly Receipt[], key: ReceiptSigningKey): Uint8Array {
  const batch = ReceiptBatch.encode({ receipts: [...receipts] }).finish();
  const signature = sign(null, signingBytes(batch), key.privateKey);
  return SignedReceiptBatch.encode({
    batch: Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength),
    keyId: key.keyId,
    signature,
  }).finish();
}

export type OpenedReceipts =
  | { readonly ok: true; readonly receipts: Receipt[] }
  | { readonly ok: false; readonly reason: 'undecodable' | 'unknown_key' | 'bad_signature'; readonly detail: string };

/**
 * The receipts of a signed batch, if it decodes and its signature verifies against the core
 * key the edge pins (`keyId` is that key's id). Nothing in a batch that fails is to be trusted.
 */
export function openReceiptBatch(data: Uint8Array, core: { keyId: string; publicKey: KeyObject }): OpenedReceipts {
  let signed: SignedReceiptBatch;
  let receipts: Receipt[];
  try {
    signed = SignedReceiptBatch.decode(data);
    receipts = ReceiptBatch.decode(signed.batch).receipts;
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: err instanceof Error ? err.message : String(err) };
  }
  if (signed.keyId !== core.keyId)
    return { ok: false, reason: 'unknown_key', detail: `signed by key ${signed.keyId || '(none)'}, not ${core.keyId}` };
  let valid = false;
  try {
    valid = verify(null, signingBytes(signed.batch), core.publicKey, signed.signature);
  } catch {
    valid = false;
  }
  if (!valid)
    return { ok: false, reason: 'bad_signature', detail: `the signature does not verify against key ${core.keyId}` };
  return { ok: true, receipts };
}
