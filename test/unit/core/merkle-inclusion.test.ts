import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from '../../../core/audit/merkle.js';
import { verifyInclusion as verifyInclusionInBrowser } from '../../../core/console/verify.js';

/**
 * The one inclusion verifier (core/audit/inclusion.ts), as the core runs it (Node's SHA-256) and
 * as the console runs it (Web Crypto), against the proofs the core's tree makes.
 */
const tree = (size: number): Buffer[] => Array.from({ length: size }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

/** A copy of `proof` with byte `at` (counted over all its hashes) XORed with `delta` (not 0). */
function changeOneByte(proof: readonly Uint8Array[], at: number, delta: number): Buffer[] {
  let offset = at;
  return proof.map((hash) => {
    const copy = Buffer.from(hash);
    if (offset >= 0 && offset < copy.length) copy[offset]! ^= delta;
    offset -= hash.length;
    return copy;
  });
}

/** A tree size and a leaf index in it. */
const leafOfTree = (minSize: number) =>
  fc.integer({ min: minSize, max: 200 }).chain((size) => fc.tuple(fc.constant(size), fc.nat({ max: size - 1 })));

describe('one Merkle inclusion verifier for core and console', () => {
  it('accepts every proof the tree makes, for every leaf, in core and console alike', async () => {
    await fc.assert(
      fc.asyncProperty(leafOfTree(1), async ([size, index]) => {
        const leaves = tree(size);
        const root = merkleRoot(leaves);
        const proof = inclusionProof(index, leaves);
        expect(verifyInclusion(index, size, leaves[index]!, proof, root)).toBe(true);
        expect(await verifyInclusionInBrowser(index, size, leaves[index]!, proof, root)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a proof with any one byte changed, in core and console alike', async () => {
    await fc.assert(
      fc.asyncProperty(
        leafOfTree(2),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async ([size, index], where, delta) => {
          const leaves = tree(size);
          const root = merkleRoot(leaves);
          const proof = inclusionProof(index, leaves);
          const changed = changeOneByte(proof, where % (proof.length * 32), delta);
          expect(verifyInclusion(index, size, leaves[index]!, changed, root)).toBe(false);
          expect(await verifyInclusionInBrowser(index, size, leaves[index]!, changed, root)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses the proof with one byte of the leaf or of the root changed, at another index, or at an impossible size', async () => {
    await fc.assert(
      fc.asyncProperty(
        leafOfTree(1),
        fc.nat({ max: 31 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async ([size, index], at, delta, isLeaf) => {
          const leaves = tree(size);
          const root = merkleRoot(leaves);
          const proof = inclusionProof(index, leaves);
          const [leaf, changedRoot] = isLeaf
            ? [changeOneByte([leaves[index]!], at, delta)[0]!, root]
            : [leaves[index]!, changeOneByte([root], at, delta)[0]!];
          expect(verifyInclusion(index, size, leaf, proof, changedRoot)).toBe(false);
          expect(await verifyInclusionInBrowser(index, size, leaf, proof, changedRoot)).toBe(false);
          if (size > 1) {
            const other = (index + 1) % size;
            expect(verifyInclusion(other, size, leaves[index]!, proof, root)).toBe(false);
            expect(await verifyInclusionInBrowser(other, size, leaves[index]!, proof, root)).toBe(false);
          }
          // A size the index does not fit, or that is not a whole number. (Another size of the same
          // path shape is not refused by the walk itself: the signed root is what pins the size.)
          for (const wrong of [index, 0, -1, size - 0.5, Number.NaN]) {
            expect(verifyInclusion(index, wrong, leaves[index]!, proof, root)).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
