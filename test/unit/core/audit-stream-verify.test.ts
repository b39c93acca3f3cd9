import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../../core/audit/checkpoint.js';
import type { SignedCheckpoint } from '../../../core/audit/checkpoint.js';
import type { AuditEntry } from '../../../core/audit/entry.js';
import { entryLeafHash } from '../../../core/audit/entry.js';
import { checkpointToJson } from '../../../core/audit/export-format.js';
import {
  EXTRACT_FORMAT_V2,
  exportToLines,
  extractEntryLine,
  headerLine,
  trailerLine,
} from '../../../core/audit/export-lines.js';
import { inclusionProof, merkleRoot } from '../../../core/audit/merkle.js';
import { Frontier } from '../../../core/audit/stream-verify.js';
import { splitLines, verifyExportLines } from '../../../core/audit/verify-stream.js';
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

const withHashes = (entries: readonly AuditEntry[]) => entries.map((e) => ({ ...e, leafHash: entryLeafHash(e) }));

/** An honest log: checkpoints every 8 entries and one at the end. */
function honest(n: number): AuditExport {
  const entries = Array.from({ length: n }, (_, i) => entry(i));
  const sizes = [...new Set([...Array.from({ length: Math.floor(n / 8) }, (_, i) => (i + 1) * 8), n])];
  return { entries: withHashes(entries), checkpoints: checkpointsFor(entries, sizes) };
}

const file = (log: AuditExport): string => [...exportToLines(ORIGIN, 1_700_000_000_000, log)].join('');
const linesOf = (text: string): string[] => text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
const verify = (text: string, trusted?: SignedCheckpoint) => verifyExportLines(linesOf(text), publicKey, trusted);

const MUTATIONS = ['edit', 'delete', 'insert', 'reorder', 'truncate', 'fork'] as const;
type Mutation = (typeof MUTATIONS)[number];

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

describe('the compact range (frontier)', () => {
  it('property: its root equals the recomputed root at every size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), (n) => {
        const leaves = Array.from({ length: n }, (_, i) => entryLeafHash(entry(i)));
        const frontier = new Frontier();
        leaves.forEach((leaf, i) => {
          frontier.push(leaf);
          if (i % 7 === 0 || i === n - 1) expect(frontier.root().equals(merkleRoot(leaves, i + 1))).toBe(true);
        });
        expect(frontier.root().equals(merkleRoot(leaves))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('one-pass verification of a zebra-audit-export/v2 stream', () => {
  it('an honest file verifies, read as bytes in odd-sized pieces', async () => {
    const text = file(honest(37));
    const bytes = Buffer.from(text);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 13) yield await Promise.resolve(bytes.subarray(i, i + 13));
    }
    const result = await verifyExportLines(splitLines(pieces()), publicKey, honest(37).checkpoints[1]);
    expect(result).toMatchObject({ isValid: true, problems: [], entryCount: 37, checkpointCount: 5, headSize: 37 });
  });

  it('names the entry a naive edit changed', async () => {
    const log = honest(20);
    const entries = log.entries.map((e, i) => (i === 11 ? { ...e, actor: 'forger' } : e));
    expect((await verify(file({ ...log, entries }))).firstBadSeq).toBe(11);
  });

  it('blames the checkpoint interval when the stored hashes were rewritten too', async () => {
    const log = honest(20);
    const entries = withHashes(log.entries.map((e, i) => (i === 11 ? { ...e, actor: 'forger' } : e)));
    const result = await verify(file({ ...log, entries }));
    expect(result.firstBadSeq).toBeUndefined();
    expect(result.firstBadRange).toEqual({ from: 8, to: 16 });
  });

  it('flags entries that no signed checkpoint covers', async () => {
    const log = honest(16);
    const result = await verify(file({ ...log, checkpoints: log.checkpoints.slice(0, 1) }));
    expect(result.problems.map((p) => p.kind)).toContain('uncovered');
  });

  it('property: a file cut after any line (or mid-line) is reported as truncated', async () => {
    const text = file(honest(30));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: text.indexOf('\n') + 1, max: text.length - 2 }), async (cut) => {
        const result = await verify(text.slice(0, cut));
        expect(result.isValid).toBe(false);
        expect(result.problems.map((p) => p.kind)).toContain('truncated');
      }),
      { numRuns: 200 },
    );
  });

  it('property: every single mutation by an operator who holds the key is caught by an older checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 4, max: 60 }),
        fc.constantFrom(...MUTATIONS),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (n, kind, trustedRaw, atRaw, other) => {
          const log = honest(n);
          const trustedSize = 2 + (trustedRaw % (n - 1));
          const trusted = checkpointsFor(log.entries, [trustedSize])[0]!;
          const at = atRaw % trustedSize;
          const mutated = mutate(log.entries, kind, at, other % trustedSize);
          const forged = {
            entries: withHashes(mutated),
            checkpoints: checkpointsFor(
              mutated,
              [mutated.length].filter((s) => s > 0),
            ),
          };
          const result = await verify(file(forged), trusted);
          expect(result.isValid, `${kind} at ${at} of ${n}, trusted ${trustedSize}`).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it("property: mutations anywhere by someone without the key are caught by the file's own checkpoints", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 60 }),
        fc.constantFrom(...MUTATIONS),
        fc.nat(),
        fc.nat(),
        async (n, kind, atRaw, other) => {
          const log = honest(n);
          const at = atRaw % n;
          const mutated = mutate(log.entries, kind, at, other % n);
          // The attacker rewrites the stored hashes, the header and the trailer to match.
          const forged = [
            ...exportToLines(ORIGIN, 1, { entries: withHashes(mutated), checkpoints: log.checkpoints }),
          ].join('');
          const result = await verify(forged);
          expect(result.isValid, `${kind} at ${at} of ${n}`).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it('property: any single changed byte (but the unsigned export time) is caught', async () => {
    const text = file(honest(25));
    const header = text.slice(0, text.indexOf('\n'));
    const timeAt = header.indexOf('"exportedAtMs":') + '"exportedAtMs":'.length;
    const timeEnd = header.indexOf(',', timeAt);
    const bytes = Buffer.from(text);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), async (at, value) => {
        // Not the export time (unsigned), nor the last newline (whitespace after the trailer).
        fc.pre(bytes[at] !== value && !(at >= timeAt && at < timeEnd) && at < bytes.length - 1);
        const changed = Buffer.from(bytes);
        changed[at] = value;
        const outcome = await verify(changed.toString('utf8')).then(
          (r) => r.isValid,
          () => false, // not even a header: refused
        );
        expect(outcome, `byte ${at} (${JSON.stringify(text[at])}) → ${value}`).toBe(false);
      }),
      { numRuns: 1500 },
    );
  }, 60_000);

  it('reports a line after the trailer, a wrong trailer count and a misplaced checkpoint', async () => {
    const lines = linesOf(file(honest(16)));
    const extra = await verifyExportLines([...lines, lines[1]!], publicKey);
    expect(extra.problems.map((p) => p.message)).toContainEqual(expect.stringContaining('after the trailer'));
    const cpAt = lines.findIndex((l) => l.includes('"type":"checkpoint"'));
    const moved = [...lines];
    const [cp] = moved.splice(cpAt, 1);
    moved.splice(cpAt - 3, 0, cp!);
    const result = await verifyExportLines(moved, publicKey);
    expect(result.problems.map((p) => p.kind)).toEqual(['misplaced']);
    const recount = lines.map((l) => (l.startsWith('{"type":"end"') ? l.replace('"entries":16', '"entries":15') : l));
    expect((await verifyExportLines(recount, publicKey)).problems.map((p) => p.kind)).toEqual(['truncated']);
  });

  it('accepts an entry line re-encoded in another key order, and refuses one whose stored hash was made to match it', async () => {
    const lines = linesOf(file(honest(10)));
    const at = lines.findIndex((l) => l.includes('"seq":4,'));
    const parsed = JSON.parse(lines[at]!) as Record<string, unknown>;
    const reordered = JSON.stringify({ type: 'entry', seq: parsed.seq, ...parsed });
    expect(reordered).not.toBe(lines[at]);
    expect((await verifyExportLines(lines.with(at, reordered), publicKey)).isValid).toBe(true);
    const raw = `{${reordered.slice('{"type":"entry",'.length, reordered.indexOf(',"leafHash"'))}}`;
    const forgedHash = createHash('sha256')
      .update(Buffer.from([0]))
      .update(raw)
      .digest('hex');
    const forged = reordered.replace(/"leafHash":"[0-9a-f]{64}"/, `"leafHash":"${forgedHash}"`);
    // The bytes match their stored hash, so only the signed root can tell: the interval is blamed.
    const result = await verifyExportLines(lines.with(at, forged), publicKey);
    expect(result).toMatchObject({ isValid: false, firstBadRange: { from: 0, to: 8 } });
  });
});

describe('one-pass verification of a zebra-audit-extract/v2 stream', () => {
  const log = honest(20);
  const leaves = log.entries.map((e) => e.leafHash);
  const head = log.checkpoints.at(-1)!;
  const picked = [3, 7, 19];
  const extractFile = (): string[] => [
    headerLine({
      format: EXTRACT_FORMAT_V2,
      origin: ORIGIN,
      exportedAtMs: 1,
      checkpoint: checkpointToJson(head),
      selection: { eventId: 'e' },
    }),
    ...picked.map((seq) => extractEntryLine(log.entries[seq]!, inclusionProof(seq, leaves))),
    trailerLine({ entries: picked.length }),
  ];

  it('checks the head signature and every inclusion proof, and notices a cut or an edit', async () => {
    const lines = extractFile().map((l) => l.trimEnd());
    expect(await verifyExportLines(lines, publicKey)).toMatchObject({ isValid: true, entryCount: 3, headSize: 20 });
    const cut = await verifyExportLines(lines.slice(0, -1), publicKey);
    expect(cut.problems.map((p) => p.kind)).toEqual(['truncated']);
    const edited = lines.with(2, lines[2]!.replace('"actor":"user-1"', '"actor":"user-2"'));
    expect(edited[2]).not.toBe(lines[2]);
    const result = await verifyExportLines(edited, publicKey);
    expect(result.firstBadSeq).toBe(7);
    expect(result.problems[0]!.message).toBe('entry 7 (review.confirmed) is not in the signed tree of size 20');
  });
});
