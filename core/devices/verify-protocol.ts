/** Messages between ingest and its signature thread. */

export interface VerifyJob {
  readonly keyId: string;
  /** The device's Ed25519 public key, SPKI DER. */
  readonly spkiDer: Uint8Array;
  readonly signature: Uint8Array;
  /** The event as received, signature included. */
  readonly payload: Uint8Array;
}

export interface VerifyRequest {
  readonly id: number;
  readonly jobs: readonly VerifyJob[];
}

/** One byte a job: 1 when the signature verifies. */
export interface VerifyReply {
  readonly id: number;
  readonly verified: Uint8Array;
}
