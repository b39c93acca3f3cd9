import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Receipt,
  ReceiptBatch,
  ReceiptKind,
  ReceiptOutcome,
  SignedReceiptBatch,
  keyIdOf,
  openReceiptBatch,
  signReceiptBatch,
} from '../../../proto/index.js';

const core = generateKeyPairSync('ed25519');
const key = { keyId: keyIdOf(core.publicKey), privateKey: core.privateKey };
const pinned = { keyId: key.keyId, publicKey: createPublicKey(core.privateKey) };
const receipts = [
  Receipt.fromPartial({
    siteId: 'site-1',
    deviceId: 'dev-1',
    cameraId: 'cam-1',
    kind: ReceiptKind.RECEIPT_KIND_EVENT,
    eventId: '6f1c2f4e-5b0a-4a53-9d8e-1f2a3b4c5d6e',
    sequence: 7,
    outcome: ReceiptOutcome.RECEIPT_OUTCOME_STORED,
    committedAtMs: 1_700_000_000_000,
    sourceSequence: 12,
  }),
];

describe('signed receipt batches', () => {
  it('open to the receipts the core signed', () => {
    expect(openReceiptBatch(signReceiptBatch(receipts, key), pinned)).toEqual({ ok: true, receipts });
  });

  it('refuse any changed byte of the batch', () => {
    const signed = SignedReceiptBatch.decode(signReceiptBatch(receipts, key));
    for (let i = 0; i < signed.batch.length; i++) {
      const batch = Buffer.from(signed.batch);
      batch[i]! ^= 0x01;
      const opened = openReceiptBatch(SignedReceiptBatch.encode({ ...signed, batch }).finish(), pinned);
      expect(opened.ok, `byte ${i}`).toBe(false);
    }
  });

  it('refuse another key, whatever key id it claims', () => {
    const forger = generateKeyPairSync('ed25519').privateKey;
    expect(
      openReceiptBatch(signReceiptBatch(receipts, { keyId: key.keyId, privateKey: forger }), pinned),
    ).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    expect(openReceiptBatch(signReceiptBatch(receipts, { keyId: 'other', privateKey: forger }), pinned)).toMatchObject({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('refuse a signature the core key made over the bare batch (as for anything else it signs)', () => {
    const batch = Buffer.from(ReceiptBatch.encode({ receipts }).finish());
    const bare = SignedReceiptBatch.encode({ batch, keyId: key.keyId, signature: sign(null, batch, core.privateKey) });
    expect(openReceiptBatch(bare.finish(), pinned)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('refuse bytes that are not a signed batch', () => {
    expect(openReceiptBatch(Buffer.from([0xff, 0xff, 0xff]), pinned)).toMatchObject({
      ok: false,
      reason: 'undecodable',
    });
  });
});
