import { describe, expect, it } from 'vitest';
import { SignatureVerifier } from '../../../core/devices/signature-verifier.js';
import { InfractionEvent, keyIdOf } from '../../../proto/index.js';
import { makeEvent, otherDeviceKey, testDeviceKey } from '../../harness/events.js';

/** The signature thread (over WorkerRpc): batches of real Ed25519 checks, answered per job. */
const { privateKey, publicKey } = testDeviceKey();
const spkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
const keyId = keyIdOf(publicKey);

function job(event: InfractionEvent, payload = InfractionEvent.encode(event).finish()) {
  return { keyId, spkiDer, signature: event.signature!.signature, payload };
}

describe('the signature verifier thread', () => {
  it('verifies one turn’s requests as one batch, each answered for its own event', async () => {
    const verifier = new SignatureVerifier();
    try {
      const good = Array.from({ length: 5 }, () => makeEvent(privateKey));
      const forged = makeEvent(otherDeviceKey().privateKey);
      const tampered = makeEvent(privateKey);
      const tamperedPayload = InfractionEvent.encode({ ...tampered, cameraId: 'cam-2' }).finish();
      const results = await Promise.all([
        ...good.map((e) => verifier.verify(job(e))),
        verifier.verify(job(forged)),
        verifier.verify(job(tampered, tamperedPayload)),
      ]);
      expect(results).toEqual([true, true, true, true, true, false, false]);
      // A later turn goes out as a new batch on the same thread.
      expect(await verifier.verify(job(makeEvent(privateKey)))).toBe(true);
    } finally {
      await verifier.close();
    }
    await expect(verifier.verify(job(makeEvent(privateKey)))).rejects.toThrow('the signature verifier is closed');
  });
});
