/**
 * The one RFC 9162 (section 2.1.3.2) inclusion-proof verifier, shared by the core (Node's
 * synchronous SHA-256) and the console (the browser's asynchronous Web Crypto). Pure: no I/O, no
 * Node imports, and no hash of its own; the caller gives the node hash, SHA-256(0x01 || l || r).
 *
 * The walk over the proof is written once, as a generator that asks for each node hash it needs;
 * `verifyInclusionSync` and `verifyInclusionAsync` only answer those requests.
 */

/** Two child hashes whose parent the walk needs, in order (left, right). */
export type NodeHashRequest = readonly [left: Uint8Array, right: Uint8Array];

/**
 * Walks leaf `index`'s proof in a tree of `size` leaves, yielding each node to hash and receiving
 * its hash; returns the root the proof leads to, or undefined when the proof cannot be a path of
 * that leaf in that tree (wrong length, index out of range).
 */
function* inclusionWalk(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Generator<NodeHashRequest, Uint8Array | undefined, Uint8Array> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = yield [p, r];
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = yield [r, p];
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `proof` proves leaf hash `leaf` at `index` in the tree of `size` leaves with root `root`. */
export function verifyInclusionSync(
  nodeHash: (left: Uint8Array, right: Uint8Array) => Uint8Array,
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const walk = inclusionWalk(index, size, leaf, proof);
  let step = walk.next();
  while (!step.done) step = walk.next(nodeHash(...step.value));
  return step.value !== undefined && equalBytes(step.value, root);
}

/** verifyInclusionSync with an asynchronous node hash (Web Crypto). */
export async function verifyInclusionAsync(
  nodeHash: (left: Uint8Array, right: Uint8Array) => Promise<Uint8Array>,
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  const walk = inclusionWalk(index, size, leaf, proof);
  let step = walk.next();
  while (!step.done) step = walk.next(await nodeHash(...step.value));
  return step.value !== undefined && equalBytes(step.value, root);
}
