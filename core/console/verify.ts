/// <reference lib="dom" />
/**
 * Checks a custody report in the browser, trusting nothing the server says: the Ed25519
 * signature of the checkpoint against the log's public key (the one the auditor pinned), and
 * every entry's RFC 6962 leaf hash and inclusion proof against the signed root; the entries are
 * returned as decoded from the very bytes that were hashed. WebCrypto only, so Node runs it too.
 */
import { verifyInclusionAsync } from '../audit/inclusion.js';

export interface Checkpoint {
  origin: string;
  treeSize: string | number;
  rootHash: string;
  atMs: string | number;
  keyId: string;
  signature: string;
}

export interface CustodyStep {
  seq: string | number;
  atMs: string | number;
  actor: string;
  action: string;
  canonicalEntry: string;
  inclusionProof: string[];
}

const fromBase64 = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

const leafHash = (data: Uint8Array): Promise<Uint8Array> => sha256(new Uint8Array([0]), data);
const nodeHash = (l: Uint8Array, r: Uint8Array): Promise<Uint8Array> => sha256(new Uint8Array([1]), l, r);

/** RFC 9162, 2.1.3.2: the core's own verifier (core/audit/inclusion.ts), with Web Crypto's SHA-256. */
export const verifyInclusion = (
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> => verifyInclusionAsync(nodeHash, index, size, leaf, proof, root);

function checkpointBody(cp: Checkpoint): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${cp.origin}\n${cp.treeSize}\n${cp.rootHash}\nat ${cp.atMs}\n`);
}

async function publicKeyFrom(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return crypto.subtle.importKey('spki', fromBase64(body), { name: 'Ed25519' }, false, ['verify']);
}

/** The fingerprint of a public key (PEM), as the log names it: 16 hex digits of SHA-256(SPKI DER). */
export async function keyIdOfPem(pem: string): Promise<string> {
  const der = fromBase64(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
  return [...(await sha256(der)).subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** An entry decoded from the canonical bytes that were hashed (not from the server's other fields). */
export interface CanonicalEntry {
  readonly seq: number;
  readonly atMs: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly details: Record<string, unknown>;
}

export interface StepCheck {
  readonly seq: number;
  readonly action: string;
  readonly actor: string;
  readonly atMs: number;
  readonly isIncluded: boolean;
  /** The verified entry; undefined when the bytes are not an entry at this position. */
  readonly entry: CanonicalEntry | undefined;
}

export interface CustodyCheck {
  readonly isSigned: boolean;
  readonly steps: readonly StepCheck[];
  readonly isValid: boolean;
}

function decodeEntry(bytes: Uint8Array, seq: number): CanonicalEntry | undefined {
  try {
    const e = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Partial<CanonicalEntry>;
    const ok =
      e.seq === seq &&
      typeof e.atMs === 'number' &&
      typeof e.actor === 'string' &&
      typeof e.action === 'string' &&
      typeof e.subject === 'string' &&
      typeof e.details === 'object' &&
      e.details !== null;
    return ok ? (e as CanonicalEntry) : undefined;
  } catch {
    return undefined;
  }
}

export async function verifyCustody(
  report: { checkpoint: Checkpoint; steps: CustodyStep[] },
  publicKeyPem: string,
): Promise<CustodyCheck> {
  const cp = report.checkpoint;
  const key = await publicKeyFrom(publicKeyPem);
  const isSigned = await crypto.subtle.verify('Ed25519', key, fromBase64(cp.signature), checkpointBody(cp));
  const root = fromBase64(cp.rootHash);
  const steps: StepCheck[] = [];
  for (const step of report.steps) {
    const bytes = fromBase64(step.canonicalEntry);
    const leaf = await leafHash(bytes);
    const isProved = await verifyInclusion(
      Number(step.seq),
      Number(cp.treeSize),
      leaf,
      step.inclusionProof.map(fromBase64),
      root,
    );
    // The story is told from the hashed bytes: an entry that does not decode, or names another
    // position than the one proved, is not included.
    const entry = isProved ? decodeEntry(bytes, Number(step.seq)) : undefined;
    steps.push({
      seq: Number(step.seq),
      action: entry?.action ?? step.action,
      actor: entry?.actor ?? step.actor,
      atMs: entry?.atMs ?? Number(step.atMs),
      isIncluded: entry !== undefined,
      entry,
    });
  }
  return { isSigned, steps, isValid: isSigned && steps.every((s) => s.isIncluded) };
}
