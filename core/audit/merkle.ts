import { createHash } from 'node:crypto';
import { equalBytes, verifyInclusionSync } from './inclusion.js';

/**
 * RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification. Pure (no I/O).
 * Leaves are given as leaf hashes; sizes and indexes are plain numbers (safe to 2^53).
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** SHA-256(0x00 || data). */
export function leafHash(data: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, data);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Buffer = sha256();

/** The largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]) over leaf hashes. */
function subtreeRoot(leaves: readonly Uint8Array[], start: number, end: number): Buffer {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return Buffer.from(leaves[start]!);
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** The root of the tree over the first `size` leaf hashes (all of them by default). */
export function merkleRoot(leaves: readonly Uint8Array[], size = leaves.length): Buffer {
  if (size > leaves.length) throw new RangeError(`tree size ${size} exceeds ${leaves.length} leaves`);
  return subtreeRoot(leaves, 0, size);
}

function path(index: number, leaves: readonly Uint8Array[], start: number, end: number): Buffer[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = splitPoint(n);
  return index < k
    ? [...path(index, leaves, start, start + k), subtreeRoot(leaves, start + k, end)]
    : [...path(index - k, leaves, start + k, end), subtreeRoot(leaves, start, start + k)];
}

/** The audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(index: number, leaves: readonly Uint8Array[], size = leaves.length): Buffer[] {
  if (size > leaves.length || index < 0 || index >= size) throw new RangeError(`no leaf ${index} in a tree of ${size}`);
  return path(index, leaves, 0, size);
}

function subproof(m: number, leaves: readonly Uint8Array[], start: number, end: number, isComplete: boolean): Buffer[] {
  const n = end - start;
  if (m === n) return isComplete ? [] : [subtreeRoot(leaves, start, end)];
  const k = splitPoint(n);
  return m <= k
    ? [...subproof(m, leaves, start, start + k, isComplete), subtreeRoot(leaves, start + k, end)]
    : [...subproof(m - k, leaves, start + k, end, false), subtreeRoot(leaves, start, start + k)];
}

/** Proof that the tree of size `m` is a prefix of the tree of size `n`. */
export function consistencyProof(m: number, n: number, leaves: readonly Uint8Array[]): Buffer[] {
  if (n > leaves.length || m < 0 || m > n) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  return subproof(m, leaves, 0, n, true);
}

/** RFC 9162 section 2.1.3.2, with Node's SHA-256 (the walk itself is inclusion.ts, shared with the console). */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  return verifyInclusionSync(nodeHash, index, size, leaf, proof, root);
}

/** RFC 9162 section 2.1.4.2; a tree of size 0 is a prefix of every tree. */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Uint8Array,
  rootN: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (m < 0 || m > n) return false;
  if (m === 0) return proof.length === 0;
  if (m === n) return proof.length === 0 && equalBytes(rootM, rootN);
  // Not (m & (m - 1)): bit operators truncate to 32 bits, and sizes go past 2^31.
  let isPowerOfTwo = m === 1;
  for (let p = 1; p < m && !isPowerOfTwo;) isPowerOfTwo = (p *= 2) === m;
  const path = isPowerOfTwo ? [rootM, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, rootM) && equalBytes(sr, rootN);
}
