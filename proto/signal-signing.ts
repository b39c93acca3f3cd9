import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignalPhaseReport, SignedSignalReport } from './gen/zebra/v1/event.js';

/** Keeps a signal report signature from passing for anything else the same key may sign. */
const SIGNAL_CONTEXT = Buffer.from('zebra.v1.signal\n', 'utf8');

function signingBytes(report: Uint8Array): Buffer {
  return Buffer.concat([SIGNAL_CONTEXT, report]);
}

/** A signal controller's (or its bridge's) Ed25519 key. */
export interface SignalSigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/**
 * A phase report as the message a controller publishes: the encoded report and its signature.
 * Used by controller bridges, the tests and any tool that plays a controller.
 */
export function signSignalReport(report: SignalPhaseReport, key: SignalSigningKey): Uint8Array {
  const encoded = SignalPhaseReport.encode(report).finish();
  return SignedSignalReport.encode({
    report: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength),
    keyId: key.keyId,
    signature: sign(null, signingBytes(encoded), key.privateKey),
  }).finish();
}

export type OpenedSignalReport =
  | { readonly ok: true; readonly report: SignalPhaseReport }
  | { readonly ok: false; readonly reason: 'undecodable' | 'unknown_key' | 'bad_signature'; readonly detail: string };

/**
 * The report inside a signed message, if the message decodes and its signature verifies over
 * the received report bytes (never a re-encoding) against the controller key the edge pins.
 * The report itself is decoded only after the signature verifies.
 */
export function openSignalReport(
  data: Uint8Array,
  pinned: { keyId: string; publicKey: KeyObject },
): OpenedSignalReport {
  let signed: SignedSignalReport;
  try {
    signed = SignedSignalReport.decode(data);
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: err instanceof Error ? err.message : String(err) };
  }
  if (signed.keyId !== pinned.keyId)
    return {
      ok: false,
      reason: 'unknown_key',
      detail: `signed by key ${signed.keyId || '(none)'}, not ${pinned.keyId}`,
    };
  let valid = false;
  try {
    valid = verify(null, signingBytes(signed.report), pinned.publicKey, signed.signature);
  } catch {
    valid = false;
  }
  if (!valid)
    return { ok: false, reason: 'bad_signature', detail: `the signature does not verify against key ${pinned.keyId}` };
  try {
    return { ok: true, report: SignalPhaseReport.decode(signed.report) };
  } catch (err) {
    return {
      ok: false,
      reason: 'undecodable',
      detail: `signed report: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
