import type { KeyObject } from 'node:crypto';
import type { SignedCheckpoint } from './checkpoint.js';
import { isCheckpointSigned } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { entryLeafHash } from './entry.js';
import { merkleRoot } from './merkle.js';

/** An exported log: entries in order, each with the leaf hash the database stored, and checkpoints. */
export interface AuditExport {
  readonly entries: readonly (AuditEntry & { readonly leafHash: Buffer })[];
  readonly checkpoints: readonly SignedCheckpoint[];
}

export interface VerifyProblem {
  readonly kind: 'sequence' | 'leaf_hash' | 'signature' | 'truncated' | 'root_mismatch' | 'origin' | 'uncovered';
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

function checkCheckpoint(
  cp: SignedCheckpoint,
  label: string,
  leaves: readonly Buffer[],
  publicKey: KeyObject,
  previousSize: number,
): VerifyProblem | undefined {
  if (!isCheckpointSigned(cp, publicKey))
    return { kind: 'signature', message: `${label} (size ${cp.treeSize}) is not signed by the log key` };
  if (cp.treeSize > leaves.length) {
    return {
      kind: 'truncated',
      message: `${label} covers ${cp.treeSize} entries but the export has ${leaves.length}`,
      firstBadSeq: leaves.length,
    };
  }
  if (!merkleRoot(leaves, cp.treeSize).equals(cp.rootHash)) {
    return {
      kind: 'root_mismatch',
      message: `entries ${previousSize}..${cp.treeSize - 1} do not reproduce the root of ${label} (size ${cp.treeSize})`,
      badRange: { from: previousSize, to: cp.treeSize },
    };
  }
  return undefined;
}

/**
 * Recomputes every leaf and root of an export. `trusted` is a checkpoint the auditor kept from
 * before: it catches truncation and forks even by someone who holds the signing key.
 * Names the first bad entry when the stored hashes or the sequence allow it; otherwise the
 * first checkpoint interval that fails.
 */
export function verifyAuditExport(log: AuditExport, publicKey: KeyObject, trusted?: SignedCheckpoint): VerifyResult {
  const problems: VerifyProblem[] = [];
  const badSeq = log.entries.findIndex((e, i) => e.seq !== i);
  if (badSeq >= 0)
    problems.push({
      kind: 'sequence',
      message: `entry ${badSeq} has seq ${log.entries[badSeq]!.seq}`,
      firstBadSeq: badSeq,
    });
  const leaves = log.entries.map(entryLeafHash);
  const badHash = log.entries.findIndex((e, i) => !e.leafHash.equals(leaves[i]!));
  if (badHash >= 0)
    problems.push({
      kind: 'leaf_hash',
      message: `entry ${badHash} does not match its stored leaf hash`,
      firstBadSeq: badHash,
    });
  const origins = new Set(log.checkpoints.map((c) => c.origin));
  if (trusted) origins.add(trusted.origin);
  if (origins.size > 1) problems.push({ kind: 'origin', message: `checkpoints name ${origins.size} different logs` });
  const sorted = [...log.checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  let previousSize = 0;
  for (const cp of sorted) {
    const problem = checkCheckpoint(cp, 'checkpoint', leaves, publicKey, previousSize);
    if (problem) problems.push(problem);
    previousSize = cp.treeSize;
  }
  if (sorted.length === 0) problems.push({ kind: 'signature', message: 'the export has no signed checkpoint' });
  if (previousSize < leaves.length) {
    problems.push({
      kind: 'uncovered',
      message: `entries ${previousSize}..${leaves.length - 1} are not covered by any signed checkpoint`,
      badRange: { from: previousSize, to: leaves.length },
    });
  }
  if (trusted) {
    const problem = checkCheckpoint(trusted, 'the checkpoint you hold', leaves, publicKey, 0);
    if (problem) problems.push(problem);
    const head = sorted[sorted.length - 1];
    if (head && head.treeSize < trusted.treeSize) {
      problems.push({
        kind: 'truncated',
        message: `the export's newest checkpoint (${head.treeSize}) is older than the one you hold (${trusted.treeSize})`,
      });
    }
  }
  const named = problems.map((p) => p.firstBadSeq).filter((s): s is number => s !== undefined);
  const ranges = problems.map((p) => p.badRange).filter((r) => r !== undefined);
  const firstBadRange = ranges.sort((a, b) => a.from - b.from)[0];
  return {
    isValid: problems.length === 0,
    problems,
    firstBadSeq: named.length ? Math.min(...named) : undefined,
    firstBadRange: named.length ? undefined : firstBadRange,
  };
}
