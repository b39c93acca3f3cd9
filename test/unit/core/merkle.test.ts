import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  consistencyProof,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../../core/audit/merkle.js';

const leaves = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Flips one bit of one hash in a list. */
function flip(hashes: readonly Uint8Array[], which: number, bit: number): Buffer[] {
  return hashes.map((h, i) => {
    const copy = Buffer.from(h);
    if (i === which) copy[bit >> 3]! ^= 1 << (bit & 7);
    return copy;
  });
}

describe('RFC 6962 Merkle tree', () => {
  it('matches the RFC 6962 reference roots for the test inputs of the CT reference implementation', () => {
    // The 8 leaf inputs and expected roots used by Certificate Transparency's merkle tests.
    const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
    const hashes = inputs.map((h) => leafHash(Buffer.from(h, 'hex')));
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    roots.forEach((root, i) => expect(hex(merkleRoot(hashes, i + 1))).toBe(root));
    expect(hex(EMPTY_ROOT)).toBe(createHash('sha256').digest('hex'));
  });

  it('separates leaves from nodes (no second preimage across levels)', () => {
    const [a, b] = leaves(2);
    expect(hex(merkleRoot([a!, b!]))).toBe(hex(nodeHash(a!, b!)));
    expect(hex(leafHash(Buffer.concat([a!, b!])))).not.toBe(hex(nodeHash(a!, b!)));
  });

  it('property: every leaf has an inclusion proof that verifies, and a flipped bit breaks it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), fc.nat(), (n, i, bit) => {
        const all = leaves(n);
        const index = i % n;
        const root = merkleRoot(all);
        const proof = inclusionProof(index, all);
        expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyInclusion(index, n, all[index]!, proof, root)).toBe(true);
        expect(verifyInclusion(index, n, leafHash(Buffer.from('other')), proof, root)).toBe(false);
        if (n > 1) {
          expect(verifyInclusion((index + 1) % n, n, all[index]!, proof, root)).toBe(false);
          expect(verifyInclusion(index, n, all[index]!, flip(proof, bit % proof.length, bit % 256), root)).toBe(false);
          expect(verifyInclusion(index, n, all[index]!, proof.slice(1), root)).toBe(false);
          expect(verifyInclusion(index, n, all[index]!, [...proof, proof[0]!], root)).toBe(false);
        }
      }),
    );
  });

  it('property: every prefix has a consistency proof that verifies; tampering breaks it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), fc.nat(), (n, mRaw, bit) => {
        const all = leaves(n);
        const m = 1 + (mRaw % n);
        const proof = consistencyProof(m, n, all);
        const rootM = merkleRoot(all, m);
        const rootN = merkleRoot(all);
        expect(verifyConsistency(m, n, rootM, rootN, proof)).toBe(true);
        if (m < n) {
          expect(verifyConsistency(m, n, rootM, rootN, flip(proof, bit % proof.length, bit % 256))).toBe(false);
          expect(verifyConsistency(m, n, flip([rootM], 0, bit % 256)[0]!, rootN, proof)).toBe(false);
          expect(verifyConsistency(m, n, rootM, flip([rootN], 0, bit % 256)[0]!, proof)).toBe(false);
          // a forked history: same size m, different leaf
          const forked = [...all];
          forked[m - 1] = leafHash(Buffer.from('forged'));
          expect(verifyConsistency(m, n, merkleRoot(forked, m), rootN, proof)).toBe(false);
        }
      }),
    );
  });
});
