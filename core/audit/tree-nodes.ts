import { EMPTY_ROOT, nodeHash } from './merkle.js';

/**
 * RFC 6962 roots and proofs computed from stored perfect subtrees instead of all leaves. Pure.
 *
 * A node (level, idx) is the root of the perfect, aligned subtree over leaves
 * [idx * 2^level, (idx + 1) * 2^level); level 0 is a leaf hash. Every hash a root or proof
 * needs is the hash of a leaf range [start, end) that RFC 6962's recursion produces; such a
 * range splits into at most log2(n) + 1 perfect nodes. A caller first asks which nodes a
 * computation needs ({@link nodesFor}), reads them in one query, then computes.
 * Sizes and indexes are plain numbers (exact to 2^53): no 32-bit bit operators here.
 */

export interface NodeRef {
  readonly level: number;
  readonly idx: number;
}

export interface StoredNode extends NodeRef {
  readonly hash: Buffer;
}

/** A leaf range [start, end) of a tree, as RFC 6962's recursion splits it. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** Reads one stored node; throws when it is not at hand. */
export type NodeReader = (level: number, idx: number) => Buffer;

/** The largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The level of a power of two (2^level = n), or -1 when n is not one. */
function levelOf(n: number): number {
  let level = 0;
  let size = 1;
  while (size < n) {
    size *= 2;
    level += 1;
  }
  return size === n ? level : -1;
}

function assertSize(name: string, n: number, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${name} must be a whole number >= ${min}, not ${n}`);
}

function collectNodes(start: number, end: number, out: NodeRef[]): void {
  const n = end - start;
  if (n === 0) return;
  const level = levelOf(n);
  // RFC 6962's splits keep start a multiple of the next power of two >= n: a power-of-two
  // range is therefore always aligned, i.e. one stored node.
  if (level >= 0) {
    out.push({ level, idx: start / n });
    return;
  }
  const k = splitPoint(n);
  collectNodes(start, start + k, out);
  collectNodes(start + k, end, out);
}

/** The perfect nodes whose hashes make up MTH(D[start:end]), left to right. */
export function rangeNodes(range: LeafRange): NodeRef[] {
  const out: NodeRef[] = [];
  collectNodes(range.start, range.end, out);
  return out;
}

/** MTH(D[start:end]) from its perfect nodes. */
export function rangeHash(read: NodeReader, range: LeafRange): Buffer {
  const { start, end } = range;
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  const level = levelOf(n);
  if (level >= 0) return read(level, start / n);
  const k = splitPoint(n);
  return nodeHash(rangeHash(read, { start, end: start + k }), rangeHash(read, { start: start + k, end }));
}

/** The range whose hash is the root of the tree of `size` leaves. */
export function rootRange(size: number): LeafRange {
  assertSize('tree size', size, 0);
  return { start: 0, end: size };
}

/** The ranges whose hashes are the audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertSize('tree size', size, 1);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size)
    throw new RangeError(`no leaf ${index} in a tree of ${size}`);
  const siblings: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
    }
  }
  return siblings.reverse();
}

/** The ranges whose hashes are the proof that the tree of size m is a prefix of the tree of size n. */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  assertSize('tree size', n, 0);
  if (!Number.isSafeInteger(m) || m < 0 || m > n) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  // RFC 6962 SUBPROOF, unrolled: the recursion's appended hashes, innermost first.
  const outer: LeafRange[] = [];
  let start = 0;
  let end = n;
  let rest = m;
  let isComplete = true;
  while (rest !== end - start) {
    const k = splitPoint(end - start);
    if (rest <= k) {
      outer.push({ start: start + k, end });
      end = start + k;
    } else {
      outer.push({ start, end: start + k });
      start += k;
      rest -= k;
      isComplete = false;
    }
  }
  return [...(isComplete ? [] : [{ start, end }]), ...outer.reverse()];
}

function keyOf(level: number, idx: number): string {
  return `${level}:${idx}`;
}

/** The distinct nodes that the hashes of `ranges` need. */
export function nodesFor(ranges: Iterable<LeafRange>): NodeRef[] {
  const seen = new Map<string, NodeRef>();
  for (const range of ranges) for (const ref of rangeNodes(range)) seen.set(keyOf(ref.level, ref.idx), ref);
  return [...seen.values()];
}

/** A reader over nodes read from storage; it throws naming a node that was not read. */
export function readerOf(nodes: Iterable<StoredNode>): NodeReader {
  const byKey = new Map<string, Buffer>();
  for (const node of nodes) byKey.set(keyOf(node.level, node.idx), node.hash);
  return (level, idx) => {
    const hash = byKey.get(keyOf(level, idx));
    if (!hash) throw new Error(`Merkle node (level ${level}, index ${idx}) is missing`);
    return hash;
  };
}

/**
 * The stored nodes that appending leaves at positions [firstSeq, firstSeq + count) needs from
 * before firstSeq: the left siblings, on the tree's right edge, of the subtrees it completes.
 */
export function appendNodesNeeded(firstSeq: number, count: number): NodeRef[] {
  assertSize('first sequence number', firstSeq, 0);
  assertSize('entry count', count, 0);
  const end = firstSeq + count;
  const needed: NodeRef[] = [];
  for (let width = 1, level = 0; width <= firstSeq; width *= 2, level += 1) {
    const below = Math.floor(firstSeq / width);
    if (below % 2 === 1 && Math.floor(end / (width * 2)) > Math.floor(firstSeq / (width * 2)))
      needed.push({ level, idx: below - 1 });
  }
  return needed;
}

/**
 * The nodes of level >= 1 that appending `leaves` (leaf hashes) at positions firstSeq on
 * completes, lowest level first for each leaf. `read` gives the nodes of
 * {@link appendNodesNeeded}.
 */
export function appendedNodes(read: NodeReader, firstSeq: number, leaves: readonly Buffer[]): StoredNode[] {
  assertSize('first sequence number', firstSeq, 0);
  const made = new Map<string, Buffer>();
  const left = (level: number, idx: number): Buffer => made.get(keyOf(level, idx)) ?? read(level, idx);
  const out: StoredNode[] = [];
  leaves.forEach((leaf, i) => {
    let idx = firstSeq + i;
    let level = 0;
    let hash = leaf;
    made.set(keyOf(level, idx), hash);
    while (idx % 2 === 1) {
      hash = nodeHash(left(level, idx - 1), hash);
      level += 1;
      idx = (idx - 1) / 2;
      made.set(keyOf(level, idx), hash);
      out.push({ level, idx, hash });
    }
  });
  return out;
}

/** The hashes of `ranges`, in order (a root, an audit path or a consistency proof). */
export function hashesOf(read: NodeReader, ranges: readonly LeafRange[]): Buffer[] {
  return ranges.map((range) => rangeHash(read, range));
}
