import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { keyIdOf, signSignalReport } from '../../proto/index.js';
import type { SignalState } from '../../proto/index.js';

/**
 * Plays a signal controller (or its bridge): signs phase reports with the controller's key and
 * numbers them. The sequence starts from the clock in microseconds by default, so a signer
 * that restarts without saving its counter still goes up (as long as its clock does).
 */
export class SignalReportSigner {
  readonly controllerId: string;
  readonly keyId: string;
  readonly #privateKey: KeyObject;
  #sequence: number;

  constructor(controllerId: string, privateKey: KeyObject, firstSequence: number = Date.now() * 1000) {
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`signal report key type is ${privateKey.asymmetricKeyType}, not ed25519`);
    this.controllerId = controllerId;
    this.#privateKey = privateKey;
    this.keyId = keyIdOf(createPublicKey(privateKey));
    this.#sequence = firstSequence;
  }

  /** A signer for a new key, with the public key to pin on the edge (PEM). */
  static generate(controllerId: string, firstSequence?: number): { signer: SignalReportSigner; publicKeyPem: string } {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return {
      signer: new SignalReportSigner(controllerId, privateKey, firstSequence),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }

  /** A signer for a PKCS#8 PEM private key. */
  static fromPem(controllerId: string, pem: string, firstSequence?: number): SignalReportSigner {
    return new SignalReportSigner(controllerId, createPrivateKey(pem), firstSequence);
  }

  /** The public key to pin on the edge. */
  get publicKey(): KeyObject {
    return createPublicKey(this.#privateKey);
  }

  /** The next report, signed: the message to publish on the controller's signal subject. */
  sign(report: { state: SignalState; stateBeganAtMs: number; sentAtMs: number }): Uint8Array {
    this.#sequence += 1;
    return signSignalReport(
      { controllerId: this.controllerId, sequence: this.#sequence, ...report },
      { keyId: this.keyId, privateKey: this.#privateKey },
    );
  }
}
