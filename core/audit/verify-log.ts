import type { KeyObject } from 'node:crypto';
import type { SignedCheckpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { LogVerifier } from './stream-verify.js';

/** An exported log: entries in order, each with the leaf hash the database stored, and checkpoints. */
export interface AuditExport {
  readonly entries: readonly (AuditEntry & { readonly leafHash: Buffer })[];
  readonly checkpoints: readonly SignedCheckpoint[];
}

export interface VerifyProblem {
  readonly kind:
    | 'sequence'
    | 'leaf_hash'
    | 'signature'
    | 'truncated'
    | 'root_mismatch'
    | 'origin'
    | 'uncovered'
    | 'misplaced'
    | 'inclusion'
    | 'format';
  readonly message: string;
  /** The first entry (seq) known to be bad, when it can be named. */
  readonly firstBadSeq?: number;
  /** When only an interval can be blamed: the bad entries lie in [from, to). */
  readonly badRange?: { readonly from: number; readonly to: number };
}

export interface VerifyResult {
  readonly isValid: boolean;
  readonly problems: readonly VerifyProblem[];
  /** The earliest entry that is certainly bad, if any could be named. */
  readonly firstBadSeq?: number;
  /** Otherwise the earliest interval that fails a checkpoint. */
  readonly firstBadRange?: { readonly from: number; readonly to: number };
}

/**
 * Recomputes every leaf and root of an export, in one pass (O(n) time, O(log n) memory beyond
 * the export itself). `trusted` is a checkpoint the auditor kept from before: it catches
 * truncation and forks even by someone who holds the signing key. Names the first bad entry
 * when the stored hashes or the sequence allow it; otherwise the first checkpoint interval
 * that fails.
 */
export function verifyAuditExport(log: AuditExport, publicKey: KeyObject, trusted?: SignedCheckpoint): VerifyResult {
  const verifier = new LogVerifier(publicKey, trusted);
  const checkpoints = [...log.checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  let next = 0;
  log.entries.forEach((entry, i) => {
    verifier.entry(entry, entry.leafHash);
    while (checkpoints[next] && checkpoints[next]!.treeSize <= i + 1) verifier.checkpoint(checkpoints[next++]!);
  });
  for (const cp of checkpoints.slice(next)) verifier.checkpoint(cp);
  return verifier.finish();
}
