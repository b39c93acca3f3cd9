/**
 * A check that a loaded audit log is consistent and verifiable, read from the database in
 * chunks (O(n) time, O(log n) memory): sequence numbers 0..n-1 without a gap, each stored
 * canonical form equal to the canonical encoding of the entry it decodes to, each stored leaf
 * hash equal to the hash of those bytes, audit_head at n, and the Merkle root of the first
 * `size` leaves (folded as a compact range) for comparison with a signed checkpoint.
 */
import { createWriteStream } from 'node:fs';
import type { Queryable } from '../../core/db/database.js';
import { listCheckpoints } from '../../core/audit/audit-repo.js';
import { EXPORT_FORMAT, checkpointToJson } from '../../core/audit/export-format.js';
import type { AuditEntry } from '../../core/audit/entry.js';
import { canonicalEntryBytes } from '../../core/audit/entry.js';
import { EMPTY_ROOT, leafHash, nodeHash } from '../../core/audit/merkle.js';

const CHUNK = 20_000;

/** RFC 6962 root built leaf by leaf: a stack of perfect subtrees, largest first. */
export class CompactRange {
  readonly #stack: { height: number; hash: Buffer }[] = [];

  push(leaf: Buffer): void {
    let node = { height: 0, hash: leaf };
    while (this.#stack.length > 0 && this.#stack.at(-1)!.height === node.height) {
      const left = this.#stack.pop()!;
      node = { height: node.height + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.#stack.push(node);
  }

  root(): Buffer {
    if (this.#stack.length === 0) return EMPTY_ROOT;
    let hash = this.#stack.at(-1)!.hash;
    for (let k = this.#stack.length - 2; k >= 0; k--) hash = nodeHash(this.#stack[k]!.hash, hash);
    return hash;
  }
}

export interface LogCheck {
  readonly size: number;
  /** Root over the first `rootSize` entries. */
  readonly root: Buffer;
  readonly seconds: number;
}

/**
 * Checks entries 0..size-1 (the whole log when size is omitted); throws on the first
 * inconsistency with its sequence number.
 */
export async function checkAuditLog(
  db: Queryable,
  size?: number,
  onProgress?: (done: number, total: number) => void,
): Promise<LogCheck> {
  const t0 = performance.now();
  const { rows: head } = await db.query<{ next_seq: string | number; n: string | number }>(
    'SELECT next_seq, (SELECT count(*) FROM audit_log) AS n FROM audit_head',
  );
  const logged = Number(head[0]!.n);
  if (Number(head[0]!.next_seq) !== logged)
    throw new Error(`audit_head.next_seq ${head[0]!.next_seq} but the log holds ${logged} entries`);
  const total = size ?? logged;
  if (total > logged) throw new Error(`asked to check ${total} entries; the log holds ${logged}`);
  const tree = new CompactRange();
  for (let from = 0; from < total; from += CHUNK) {
    const to = Math.min(total, from + CHUNK);
    const { rows } = await db.query<{ seq: string | number; canonical: Uint8Array; leaf_hash: Uint8Array }>(
      'SELECT seq, canonical, leaf_hash FROM audit_log WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [from, to],
    );
    if (rows.length !== to - from) throw new Error(`seq ${from}..${to - 1}: ${rows.length} rows, a gap`);
    rows.forEach((row, k) => {
      const seq = from + k;
      const canonical = Buffer.from(row.canonical);
      const entry = JSON.parse(canonical.toString('utf8')) as AuditEntry;
      if (Number(row.seq) !== seq || entry.seq !== seq)
        throw new Error(`seq ${seq}: stored as ${row.seq}/${entry.seq}`);
      if (!canonicalEntryBytes(entry).equals(canonical)) throw new Error(`seq ${seq}: canonical form differs`);
      const leaf = leafHash(canonical);
      if (!leaf.equals(Buffer.from(row.leaf_hash))) throw new Error(`seq ${seq}: leaf hash differs`);
      tree.push(leaf);
    });
    onProgress?.(to, total);
  }
  return { size: total, root: tree.root(), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Writes the file `zebra audit export` would have written (zebra-audit-export/v1: every entry
 * with its leaf hash, every checkpoint), streamed from the database in chunks, so that
 * `zebra audit verify` can be timed where the export itself fails. Returns the entries written.
 */
export async function writeExportFile(db: Queryable, origin: string, file: string): Promise<number> {
  const out = createWriteStream(file);
  const write = (text: string): Promise<void> =>
    out.write(text) ? Promise.resolve() : new Promise((r) => out.once('drain', () => r()));
  await write(
    `{"format":${JSON.stringify(EXPORT_FORMAT)},"origin":${JSON.stringify(origin)},"exportedAtMs":${Date.now()},"entries":[`,
  );
  let written = 0;
  for (let from = 0; ; from += CHUNK) {
    const { rows } = await db.query<{ canonical: Uint8Array; leaf_hash: Uint8Array }>(
      'SELECT canonical, leaf_hash FROM audit_log WHERE seq >= $1 AND seq < $2 ORDER BY seq',
      [from, from + CHUNK],
    );
    if (rows.length === 0) break;
    const parts = rows.map((r) => {
      const entry = JSON.parse(Buffer.from(r.canonical).toString('utf8')) as AuditEntry;
      return JSON.stringify({ ...entry, leafHash: Buffer.from(r.leaf_hash).toString('hex') });
    });
    await write(`${written > 0 ? ',' : ''}${parts.join(',')}`);
    written += rows.length;
  }
  const checkpoints = (await listCheckpoints(db)).map(checkpointToJson);
  await write(`],"checkpoints":${JSON.stringify(checkpoints)}}`);
  await new Promise<void>((done, fail) => out.end((err?: Error | null) => (err ? fail(err) : done())));
  return written;
}
