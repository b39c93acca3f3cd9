import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../../core/audit/checkpoint.js';
import type { SignedCheckpoint } from '../../../core/audit/checkpoint.js';
import type { AuditEntry } from '../../../core/audit/entry.js';
import { canonicalEntryBytes, entryLeafHash } from '../../../core/audit/entry.js';
import { merkleRoot } from '../../../core/audit/merkle.js';
import { verifyAuditExport } from '../../../core/audit/verify-log.js';
import type { AuditExport } from '../../../core/audit/verify-log.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const ORIGIN = 'zebra-audit/test';

function entry(seq: number, salt = ''): AuditEntry {
  return {
    seq,
    atMs: 1_700_000_000_000 + seq,
    actor: `user-${seq % 3}`,
    action: 'review.confirmed',
    subject: `event-${seq}${salt}`,
    details: { reason: 'clear_view', n: seq },
  };
}

function checkpointsFor(entries: readonly AuditEntry[], sizes: readonly number[]): SignedCheckpoint[] {
  const leaves = entries.map(entryLeafHash);
  return sizes.map((treeSize) =>
    signCheckpoint(
      { origin: ORIGIN, treeSize, rootHash: merkleRoot(leaves, treeSize), atMs: treeSize },
      privateKey,
      publicKey,
    ),
  );
}

/** An honest export: checkpoints every 8 entries and one at the end. */
function honestExport(n: number): AuditExport {
  const entries = Array.from({ length: n }, (_, i) => entry(i));
  const sizes = [...Array.from({ length: Math.floor(n / 8) }, (_, i) => (i + 1) * 8), n].filter(
    (s, i, a) => a.indexOf(s) === i,
  );
  return {
    entries: entries.map((e) => ({ ...e, leafHash: entryLeafHash(e) })),
    checkpoints: checkpointsFor(entries, sizes),
  };
}

const MUTATIONS = ['edit', 'delete', 'insert', 'reorder', 'truncate', 'fork'] as const;
type Mutation = (typeof MUTATIONS)[number];

/** Applies one mutation at index `at` (< length), renumbering seq so the sequence check alone cannot catch it. */
function mutate(entries: readonly AuditEntry[], kind: Mutation, at: number, other: number): AuditEntry[] {
  const list = [...entries];
  switch (kind) {
    case 'edit':
      list[at] = { ...list[at]!, actor: 'someone-else' };
      break;
    case 'delete':
      list.splice(at, 1);
      break;
    case 'insert':
      list.splice(at, 0, entry(at, '-inserted'));
      break;
    case 'reorder': {
      const j = at === other ? (at + 1) % list.length : other;
      [list[at], list[j]] = [list[j]!, list[at]!];
      break;
    }
    case 'truncate':
      list.length = at;
      break;
    case 'fork':
      list.splice(at, list.length - at, ...Array.from({ length: list.length - at }, (_, i) => entry(at + i, '-fork')));
      break;
  }
  return list.map((e, seq) => ({ ...e, seq }));
}

/** The attacker also rewrites every stored leaf hash, so only the checkpoints can tell. */
const withHashes = (entries: readonly AuditEntry[]) => entries.map((e) => ({ ...e, leafHash: entryLeafHash(e) }));

describe('audit log tamper evidence', () => {
  it('an honest export verifies', () => {
    const log = honestExport(37);
    expect(verifyAuditExport(log, publicKey, log.checkpoints[1])).toEqual({
      isValid: true,
      problems: [],
      firstBadSeq: undefined,
    });
  });

  it('canonical bytes do not depend on key order', () => {
    const a = { ...entry(1), details: { b: 1, a: [1, { y: true, x: null }] } };
    const b = { ...entry(1), details: { a: [1, { x: null, y: true }], b: 1 } };
    expect(canonicalEntryBytes(a).equals(canonicalEntryBytes(b))).toBe(true);
  });

  it('names the entry a naive edit changed', () => {
    const log = honestExport(20);
    const entries = log.entries.map((e, i) => (i === 11 ? { ...e, actor: 'forger' } : e));
    expect(verifyAuditExport({ ...log, entries }, publicKey).firstBadSeq).toBe(11);
  });

  it('blames the checkpoint interval when the stored hashes were rewritten too', () => {
    const log = honestExport(20);
    const entries = withHashes(log.entries.map((e, i) => (i === 11 ? { ...e, actor: 'forger' } : e)));
    const result = verifyAuditExport({ ...log, entries }, publicKey);
    expect(result.firstBadSeq).toBeUndefined();
    expect(result.firstBadRange).toEqual({ from: 8, to: 16 });
  });

  it('flags entries that no signed checkpoint covers', () => {
    const log = honestExport(16);
    const result = verifyAuditExport({ ...log, checkpoints: log.checkpoints.slice(0, 1) }, publicKey);
    expect(result.problems.map((p) => p.kind)).toContain('uncovered');
  });

  it('property: 1,000 single mutations by an operator who holds the signing key are caught by an older checkpoint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 60 }),
        fc.constantFrom(...MUTATIONS),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (n, kind, trustedRaw, atRaw, other) => {
          const log = honestExport(n);
          const trustedSize = 2 + (trustedRaw % (n - 1)); // the auditor kept a checkpoint of size 2..n
          const trusted = checkpointsFor(log.entries, [trustedSize])[0]!;
          const at = atRaw % trustedSize; // the mutation touches history the auditor's checkpoint covers
          const mutated = mutate(log.entries, kind, at, other % trustedSize);
          // The operator re-signs fresh checkpoints over the mutated log.
          const forged: AuditExport = {
            entries: withHashes(mutated),
            checkpoints: checkpointsFor(mutated, [mutated.length]),
          };
          const result = verifyAuditExport(forged, publicKey, trusted);
          expect(result.isValid, `${kind} at ${at} of ${n}, trusted ${trustedSize}`).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000); // 1,000 exports verified: 11.8 s measured at load average 10, over the unit default of 10 s

  it("property: mutations anywhere by someone without the key are caught by the export's own checkpoints", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 60 }),
        fc.constantFrom(...MUTATIONS),
        fc.nat(),
        fc.nat(),
        (n, kind, atRaw, other) => {
          const log = honestExport(n);
          const at = atRaw % n;
          const mutated = mutate(log.entries, kind, at, other % n);
          const result = verifyAuditExport({ entries: withHashes(mutated), checkpoints: log.checkpoints }, publicKey);
          expect(result.isValid, `${kind} at ${at} of ${n}`).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });
});
