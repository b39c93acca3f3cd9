import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../core/audit/merkle.js';
import {
  appendNodesNeeded,
  appendedNodes,
  consistencyRanges,
  hashesOf,
  inclusionRanges,
  nodesFor,
  readerOf,
  rootRange,
} from '../../../core/audit/tree-nodes.js';
import type { LeafRange, NodeReader, NodeRef, StoredNode } from '../../../core/audit/tree-nodes.js';

const leaves = (n: number, salt: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${salt}/${i}`)));
const hex = (hashes: readonly Uint8Array[]): string[] => hashes.map((h) => Buffer.from(h).toString('hex'));
const key = (r: NodeRef): string => `${r.level}:${r.idx}`;

/** Random batch sizes (1..max) that add up to n. */
const batchesOf = (n: number, seeds: readonly number[], max: number): number[] => {
  const sizes: number[] = [];
  for (let done = 0, i = 0; done < n; i += 1) {
    const size = Math.min(n - done, 1 + ((seeds[i % seeds.length] ?? 0) % max));
    sizes.push(size);
    done += size;
  }
  return sizes;
};

/**
 * Builds the node table the way the database does: leaves appended batch by batch, each batch
 * given only the nodes appendNodesNeeded names (any other read throws).
 */
function appendAll(all: readonly Buffer[], batches: readonly number[]): Map<string, StoredNode> {
  const table = new Map<string, StoredNode>();
  all.forEach((hash, idx) => table.set(key({ level: 0, idx }), { level: 0, idx, hash }));
  let first = 0;
  for (const size of batches) {
    const needed = appendNodesNeeded(first, size);
    const reader = readerOf(needed.map((ref) => table.get(key(ref))!));
    for (const node of appendedNodes(reader, first, all.slice(first, first + size))) {
      expect(table.has(key(node))).toBe(false);
      table.set(key(node), node);
    }
    first += size;
  }
  return table;
}

/** A reader that counts distinct reads and refuses nodes beyond the tree of `size` leaves. */
function countingReader(table: Map<string, StoredNode>, size: number): { read: NodeReader; reads: Set<string> } {
  const reads = new Set<string>();
  const read: NodeReader = (level, idx) => {
    if ((idx + 1) * 2 ** level > size) throw new Error(`node (${level}, ${idx}) is outside the tree of ${size}`);
    reads.add(`${level}:${idx}`);
    return table.get(`${level}:${idx}`)!.hash;
  };
  return { read, reads };
}

const bound = (n: number): number => 2 * Math.log2(Math.max(n, 1)) + 2;

/** Whether `ranges` cover [0, n) exactly once. */
function partitions(ranges: readonly LeafRange[], n: number): boolean {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const r of sorted) {
    if (r.start !== at || r.end <= r.start) return false;
    at = r.end;
  }
  return at === n;
}

describe('Merkle roots and proofs from stored perfect subtrees', () => {
  it('property: appended in random batches, the stored nodes are every perfect subtree of the reference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        (n, seeds, salt) => {
          const all = leaves(n, salt);
          const table = appendAll(all, batchesOf(n, seeds, 40));
          let expected = 0;
          for (let width = 2, level = 1; width <= n; width *= 2, level += 1) {
            for (let idx = 0; (idx + 1) * width <= n; idx += 1) {
              expected += 1;
              const node = table.get(`${level}:${idx}`);
              expect(node && hex([node.hash])).toEqual(hex([merkleRoot(all.slice(idx * width, (idx + 1) * width))]));
            }
          }
          expect(table.size - n).toBe(expected);
        },
      ),
    );
  });

  it('property: roots, inclusion and consistency proofs equal the recompute-from-leaves reference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (n, seeds, iRaw, mRaw, salt) => {
          const all = leaves(n, salt);
          const table = appendAll(all, batchesOf(n, seeds, 64));
          const size = 1 + (mRaw % n); // any tree size up to n, not only the newest
          const index = iRaw % size;
          const m = iRaw % (size + 1);

          const root = countingReader(table, size);
          expect(hex(hashesOf(root.read, [rootRange(size)]))).toEqual(hex([merkleRoot(all, size)]));
          expect(root.reads.size).toBeLessThanOrEqual(bound(size));

          const path = countingReader(table, size);
          const proof = hashesOf(path.read, inclusionRanges(index, size));
          expect(hex(proof)).toEqual(hex(inclusionProof(index, all, size)));
          expect(path.reads.size).toBeLessThanOrEqual(bound(size));
          expect(verifyInclusion(index, size, all[index]!, proof, merkleRoot(all, size))).toBe(true);

          const consistency = countingReader(table, size);
          const cproof = hashesOf(consistency.read, consistencyRanges(m, size));
          expect(hex(cproof)).toEqual(hex(consistencyProof(m, size, all)));
          expect(consistency.reads.size).toBeLessThanOrEqual(bound(size));
        },
      ),
    );
  });

  it('property: at sizes up to 2^53, proofs read O(log n) nodes inside the tree, and an audit path covers the rest of it', () => {
    const size = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(size, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (n, f) => {
        const index = Math.floor(f * n);
        const m = Math.floor(f * (n + 1));
        for (const ranges of [[rootRange(n)], inclusionRanges(index, n), consistencyRanges(m, n)]) {
          const refs = nodesFor(ranges);
          expect(refs.length).toBeLessThanOrEqual(bound(n));
          for (const r of refs) {
            expect(Number.isSafeInteger(r.idx) && r.idx >= 0 && r.level >= 0).toBe(true);
            expect((r.idx + 1) * 2 ** r.level).toBeLessThanOrEqual(n);
          }
        }
        expect(partitions([...inclusionRanges(index, n), { start: index, end: index + 1 }], n)).toBe(true);
      }),
    );
  });

  it('property: at sizes up to 2^53, proofs over a tree of equal leaves verify (no 32-bit arithmetic)', () => {
    // With every leaf equal, the perfect node of level L is the same hash for every index, so a
    // tree of 2^53 leaves can be read without building it.
    const leaf = leafHash(Buffer.from('same'));
    const perLevel = [leaf];
    for (let level = 1; level <= 53; level += 1) perLevel.push(nodeHash(perLevel[level - 1]!, perLevel[level - 1]!));
    const read: NodeReader = (level) => perLevel[level]!;
    const n = fc.integer({ min: 2 ** 31 - 4, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(n, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (size, f) => {
        const index = Math.floor(f * size);
        const m = Math.max(1, Math.floor(f * size));
        const [root] = hashesOf(read, [rootRange(size)]);
        const [rootM] = hashesOf(read, [rootRange(m)]);
        const path = hashesOf(read, inclusionRanges(index, size));
        expect(verifyInclusion(index, size, leaf, path, root!)).toBe(true);
        expect(verifyConsistency(m, size, rootM!, root!, hashesOf(read, consistencyRanges(m, size)))).toBe(true);
      }),
    );
    // 3 * 2^31 looks like a power of two to 32-bit `m & (m - 1)`.
    const [wide, wider] = [3 * 2 ** 31, 2 ** 40 + 5];
    const [rootWide, rootWider] = [hashesOf(read, [rootRange(wide)])[0]!, hashesOf(read, [rootRange(wider)])[0]!];
    expect(verifyConsistency(wide, wider, rootWide, rootWider, hashesOf(read, consistencyRanges(wide, wider)))).toBe(
      true,
    );
  });

  it('asks only for the right-edge nodes an append completes', () => {
    expect(appendNodesNeeded(0, 5)).toEqual([]);
    expect(appendNodesNeeded(7, 1)).toEqual([
      { level: 0, idx: 6 },
      { level: 1, idx: 2 },
      { level: 2, idx: 0 },
    ]);
    expect(appendNodesNeeded(6, 1)).toEqual([]); // leaf 6 completes nothing
    expect(appendNodesNeeded(6, 2)).toEqual([
      { level: 1, idx: 2 },
      { level: 2, idx: 0 },
    ]);
    expect(appendNodesNeeded(2 ** 52 + 1, 1)).toEqual([{ level: 0, idx: 2 ** 52 }]);
    expect(() => appendNodesNeeded(-1, 1)).toThrow(RangeError);
    expect(() => readerOf([])(3, 4)).toThrow('Merkle node (level 3, index 4) is missing');
  });
});
