/**
 * A check that a loaded audit log is consistent and verifiable, read from the database in
 * chunks (O(n) time, O(log n) memory): sequence numbers 0..n-1 without a gap, each stored
 * canonical form equal to the canonical encoding of the entry it decodes to, each stored leaf
 * hash equal to the hash of those bytes, audit_head at n, and the Merkle root of the first
 * `size` leaves (folded as a compact range) for comparison with a signed checkpoint.
 */
import type { Queryable } from '../../core/db/database.js';
import type { AuditEntry } from '../../core/audit/entry.js';
import { canonicalEntryBytes } from '../../core/audit/entry.js';
import { leafHash } from '../../core/audit/merkle.js';
import { Frontier } from '../../core/audit/stream-verify.js';

const CHUNK = 20_000;

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
  const tree = new Frontier();
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
