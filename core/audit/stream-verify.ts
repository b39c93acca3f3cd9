import { hash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { SignedCheckpoint } from './checkpoint.js';
import { isCheckpointSigned } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { canonicalEntryText } from './entry.js';
import { EMPTY_ROOT, verifyInclusion } from './merkle.js';
import type { VerifyProblem, VerifyResult } from './verify-log.js';

/** At most this many problems are kept (the first ones): memory stays bounded on a junk file. */
const MAX_PROBLEMS = 100;
/** Checkpoints seen before the entries they cover (only in a damaged file) held at most. */
const MAX_PENDING = 64;

/**
 * RFC 6962 hashes with one-shot SHA-256 (twice as fast as createHash on the verifier's hot
 * path); property-tested against merkle.ts, the reference.
 */
const NODE_INPUT = Buffer.alloc(65, 1);

function nodeHash(left: Buffer, right: Buffer): Buffer {
  left.copy(NODE_INPUT, 1);
  right.copy(NODE_INPUT, 33);
  return hash('sha256', NODE_INPUT, 'buffer');
}

/** SHA-256(0x00 || canonical bytes): "\u0000" is the one byte 0x00 in UTF-8. */
function entryLeaf(entry: AuditEntry): Buffer {
  return hash('sha256', `\u0000${canonicalEntryText(entry)}`, 'buffer');
}

/**
 * The compact range of a growing RFC 6962 tree: the roots of its perfect subtrees, left to
 * right (one per set bit of the size). Appending is amortised one node hash; memory O(log n).
 */
export class Frontier {
  readonly #roots: Buffer[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(leaf: Buffer): void {
    let node = leaf;
    for (let s = this.#size; s % 2 === 1; s = Math.floor(s / 2)) node = nodeHash(this.#roots.pop()!, node);
    this.#roots.push(node);
    this.#size += 1;
  }

  /** MTH of the leaves pushed so far. */
  root(): Buffer {
    if (this.#roots.length === 0) return EMPTY_ROOT;
    let root = this.#roots[this.#roots.length - 1]!;
    for (let i = this.#roots.length - 2; i >= 0; i -= 1) root = nodeHash(this.#roots[i]!, root);
    return root;
  }
}

/** Collects problems and derives the result the way {@link VerifyResult} names the first bad entry. */
export class ProblemList {
  readonly #problems: VerifyProblem[] = [];
  #dropped = 0;

  add(problem: VerifyProblem): void {
    if (this.#problems.length < MAX_PROBLEMS) this.#problems.push(problem);
    else this.#dropped += 1;
  }

  result(): VerifyResult {
    const problems = [...this.#problems];
    if (this.#dropped > 0) problems.push({ kind: 'format', message: `and ${this.#dropped} more problems` });
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
}

function leafOf(entry: AuditEntry): Buffer | undefined {
  try {
    return entryLeaf(entry);
  } catch {
    return undefined; // a value canonical JSON refuses (a float, say)
  }
}

/**
 * Verifies a full log in one pass: entries in order, each followed by the checkpoints whose
 * tree size it completes. O(n) time, O(log n) memory. `trusted` is a checkpoint the auditor
 * kept: it catches truncation and forks even by someone who holds the signing key.
 */
export class LogVerifier {
  readonly #key: KeyObject;
  readonly #trusted: SignedCheckpoint | undefined;
  readonly #frontier = new Frontier();
  readonly problems = new ProblemList();
  readonly #pending: { cp: SignedCheckpoint; isSigned: boolean }[] = [];
  #origin: string | undefined;
  #hasOriginProblem = false;
  #hasSequenceProblem = false;
  #hasHashProblem = false;
  #coveredSize = 0;
  #headSize = 0;
  #checkpoints = 0;

  readonly #isStrict: boolean;

  /**
   * `isStrict`: a checkpoint must come right after the entry that completes it (a v2 file);
   * otherwise one that comes early is held until its entries arrive.
   */
  constructor(publicKey: KeyObject, trusted?: SignedCheckpoint, isStrict = false) {
    this.#key = publicKey;
    this.#trusted = trusted;
    this.#isStrict = isStrict;
    if (trusted) {
      this.noteOrigin(trusted.origin);
      if (!isCheckpointSigned(trusted, publicKey))
        this.problems.add({
          kind: 'signature',
          message: `the checkpoint you hold (size ${trusted.treeSize}) is not signed by the log key`,
        });
    }
  }

  get entryCount(): number {
    return this.#frontier.size;
  }

  get checkpointCount(): number {
    return this.#checkpoints;
  }

  get headSize(): number {
    return this.#headSize;
  }

  /** Every log named (checkpoints, the header, the trusted checkpoint) must be the same one. */
  noteOrigin(origin: string): void {
    if (this.#origin === undefined) this.#origin = origin;
    else if (origin !== this.#origin && !this.#hasOriginProblem) {
      this.#hasOriginProblem = true;
      this.problems.add({ kind: 'origin', message: `the file names more than one log (${this.#origin}, ${origin})` });
    }
  }

  /**
   * `rawCanonical`: the entry's bytes as the line carries them, when the line has the export's
   * own layout. If they hash to the stored leaf hash they are the canonical bytes (a
   * different encoding cannot hash to the same value), so re-encoding the entry is skipped;
   * otherwise the entry is re-encoded as always.
   */
  entry(entry: AuditEntry, storedLeafHash: Buffer, rawCanonical?: string): void {
    const index = this.#frontier.size;
    if (entry.seq !== index && !this.#hasSequenceProblem) {
      this.#hasSequenceProblem = true;
      this.problems.add({ kind: 'sequence', message: `entry ${index} has seq ${entry.seq}`, firstBadSeq: index });
    }
    const fast = rawCanonical === undefined ? undefined : hash('sha256', `\u0000${rawCanonical}`, 'buffer');
    const leaf = fast?.equals(storedLeafHash) ? fast : leafOf(entry);
    if ((!leaf || !storedLeafHash.equals(leaf)) && !this.#hasHashProblem) {
      this.#hasHashProblem = true;
      this.problems.add({
        kind: 'leaf_hash',
        message: leaf
          ? `entry ${index} does not match its stored leaf hash`
          : `entry ${index} holds a value canonical JSON refuses`,
        firstBadSeq: index,
      });
    }
    this.#frontier.push(leaf ?? storedLeafHash);
    while (this.#pending[0] && this.#pending[0].cp.treeSize === this.#frontier.size) {
      const { cp, isSigned } = this.#pending.shift()!;
      this.#atPosition(cp, isSigned);
    }
    if (this.#trusted?.treeSize === this.#frontier.size && !this.#frontier.root().equals(this.#trusted.rootHash)) {
      this.problems.add({
        kind: 'root_mismatch',
        message: `entries 0..${this.#trusted.treeSize - 1} do not reproduce the root of the checkpoint you hold (size ${this.#trusted.treeSize})`,
        badRange: { from: 0, to: this.#trusted.treeSize },
      });
    }
  }

  checkpoint(cp: SignedCheckpoint): void {
    this.#checkpoints += 1;
    this.noteOrigin(cp.origin);
    this.#headSize = Math.max(this.#headSize, cp.treeSize);
    const isSigned = isCheckpointSigned(cp, this.#key);
    if (!isSigned)
      this.problems.add({
        kind: 'signature',
        message: `checkpoint (size ${cp.treeSize}) is not signed by the log key`,
      });
    const size = this.#frontier.size;
    if (cp.treeSize === size && this.#pending.length === 0) return this.#atPosition(cp, isSigned);
    if (cp.treeSize > size && this.#pending.length < MAX_PENDING) {
      if (cp.treeSize < (this.#pending.at(-1)?.cp.treeSize ?? 0))
        return this.#misplaced(cp, this.#pending.at(-1)!.cp.treeSize);
      if (this.#isStrict) this.#misplaced(cp, size);
      this.#pending.push({ cp, isSigned });
      return;
    }
    this.#misplaced(cp, size);
  }

  #misplaced(cp: SignedCheckpoint, position: number): void {
    this.problems.add({
      kind: 'misplaced',
      message: `checkpoint (size ${cp.treeSize}) is out of place (after entry ${position - 1})`,
      badRange: { from: Math.min(cp.treeSize, position), to: Math.max(cp.treeSize, position) },
    });
  }

  #atPosition(cp: SignedCheckpoint, isSigned: boolean): void {
    const previous = this.#coveredSize;
    this.#coveredSize = cp.treeSize;
    if (!isSigned) return;
    if (!this.#frontier.root().equals(cp.rootHash)) {
      this.problems.add({
        kind: 'root_mismatch',
        message: `entries ${previous}..${cp.treeSize - 1} do not reproduce the root of checkpoint (size ${cp.treeSize})`,
        badRange: { from: previous, to: cp.treeSize },
      });
    }
  }

  /** Call once after the last line: what could not be checked is reported here. */
  finish(): VerifyResult {
    const size = this.#frontier.size;
    for (const { cp } of this.#pending.splice(0)) {
      this.problems.add({
        kind: 'truncated',
        message: `checkpoint covers ${cp.treeSize} entries but the export has ${size}`,
        firstBadSeq: size,
      });
    }
    if (this.#checkpoints === 0)
      this.problems.add({ kind: 'signature', message: 'the export has no signed checkpoint' });
    if (this.#coveredSize < size) {
      this.problems.add({
        kind: 'uncovered',
        message: `entries ${this.#coveredSize}..${size - 1} are not covered by any signed checkpoint`,
        badRange: { from: this.#coveredSize, to: size },
      });
    }
    const trusted = this.#trusted;
    if (trusted && trusted.treeSize > size) {
      this.problems.add({
        kind: 'truncated',
        message: `the checkpoint you hold covers ${trusted.treeSize} entries but the export has ${size}`,
        firstBadSeq: size,
      });
    }
    if (trusted && this.#checkpoints > 0 && this.#headSize < trusted.treeSize) {
      this.problems.add({
        kind: 'truncated',
        message: `the export's newest checkpoint (${this.#headSize}) is older than the one you hold (${trusted.treeSize})`,
      });
    }
    return this.problems.result();
  }
}

/** Verifies an extract in one pass: the head's signature, then each entry's inclusion proof. */
export class ExtractVerifier {
  readonly #head: SignedCheckpoint;
  readonly problems = new ProblemList();
  #previousSeq = -1;
  #count = 0;

  constructor(head: SignedCheckpoint, publicKey: KeyObject) {
    this.#head = head;
    if (!isCheckpointSigned(head, publicKey))
      this.problems.add({
        kind: 'signature',
        message: `the checkpoint (size ${head.treeSize}) is not signed by the log key`,
      });
  }

  get entryCount(): number {
    return this.#count;
  }

  entry(entry: AuditEntry, proof: readonly Buffer[]): void {
    this.#count += 1;
    const cp = this.#head;
    if (entry.seq <= this.#previousSeq)
      this.problems.add({ kind: 'sequence', message: `entry ${entry.seq} is out of order`, firstBadSeq: entry.seq });
    this.#previousSeq = entry.seq;
    const leaf = leafOf(entry);
    if (!leaf || !verifyInclusion(entry.seq, cp.treeSize, leaf, proof, cp.rootHash))
      this.problems.add({
        kind: 'inclusion',
        message: `entry ${entry.seq} (${entry.action}) is not in the signed tree of size ${cp.treeSize}`,
        firstBadSeq: entry.seq,
      });
  }

  finish(): VerifyResult {
    return this.problems.result();
  }
}
