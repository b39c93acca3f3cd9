// Runs inside the signature thread: verifies batches of device-signed events, in arrival order.
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { InfractionEvent, eventSigningBytes, eventSigningBytesFromPayload } from '../../proto/index.js';
import type { VerifyJob, VerifyReply, VerifyRequest } from './verify-protocol.js';

const keys = new Map<string, { der: string; key: KeyObject }>();

function keyOf(job: VerifyJob): KeyObject {
  const der = Buffer.from(job.spkiDer).toString('base64');
  let cached = keys.get(job.keyId);
  if (!cached || cached.der !== der) {
    cached = { der, key: createPublicKey({ key: Buffer.from(job.spkiDer), format: 'der', type: 'spki' }) };
    keys.set(job.keyId, cached);
  }
  return cached.key;
}

/**
 * The payload minus its signature field first (no re-encoding); only when that fails, the
 * re-encoded event, for an encoder that orders fields differently.
 */
function verifies(job: VerifyJob): boolean {
  try {
    const key = keyOf(job);
    const fromPayload = eventSigningBytesFromPayload(job.payload);
    if (fromPayload && verify(null, fromPayload, key, job.signature)) return true;
    return verify(null, eventSigningBytes(InfractionEvent.decode(job.payload)), key, job.signature);
  } catch {
    return false;
  }
}

parentPort!.on('message', (request: VerifyRequest) => {
  const verified = new Uint8Array(request.jobs.length);
  request.jobs.forEach((job, i) => (verified[i] = verifies(job) ? 1 : 0));
  parentPort!.postMessage({ id: request.id, verified } satisfies VerifyReply, [verified.buffer]);
});
