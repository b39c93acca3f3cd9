import type { Queryable } from '../db/database.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { CHECKPOINT_COLUMNS, toCheckpoint } from './audit-repo.js';
import type { CheckpointRow } from './audit-repo.js';
import type { ExtractFilter } from './extract.js';

/** Reads for streaming exports: keyset pages on the primary keys, never the whole log. */

export interface StoredEntry {
  readonly seq: number;
  /** The canonical entry JSON, as hashed. */
  readonly canonical: string;
  readonly leafHash: Buffer;
}

/** Entries with seq in [fromSeq, toSeq), oldest first, at most `limit`. */
export async function entryPage(db: Queryable, fromSeq: number, toSeq: number, limit: number): Promise<StoredEntry[]> {
  const { rows } = await db.query<{ seq: string | number; canonical: Uint8Array; leaf_hash: Uint8Array }>(
    'SELECT seq, canonical, leaf_hash FROM audit_log WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT $3',
    [fromSeq, toSeq, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    canonical: Buffer.from(r.canonical.buffer, r.canonical.byteOffset, r.canonical.byteLength).toString('utf8'),
    leafHash: Buffer.from(r.leaf_hash),
  }));
}

/** Checkpoints with tree size in [fromSize, toSize], smallest first (at most toSize-fromSize+1). */
export async function checkpointsBetween(db: Queryable, fromSize: number, toSize: number): Promise<SignedCheckpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size >= $1 AND tree_size <= $2 ORDER BY tree_size`,
    [fromSize, toSize],
  );
  return rows.map(toCheckpoint);
}

/** The checkpoint of exactly this tree size, if one was signed. */
export async function checkpointOfSize(db: Queryable, treeSize: number): Promise<SignedCheckpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size = $1`,
    [treeSize],
  );
  return rows[0] && toCheckpoint(rows[0]);
}

/** How many checkpoints are smaller than `size` (the lines before a resume point). */
export async function countCheckpointsBelow(db: Queryable, size: number): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM audit_checkpoints WHERE tree_size < $1',
    [size],
  );
  return Number(rows[0]!.n);
}

/** How many entries an extract holds below `seq` (the entry lines before a resume point). */
export async function countExtractBelow(db: Queryable, filter: ExtractFilter, seq: number): Promise<number> {
  const where =
    'subject' in filter
      ? { sql: 'subject = $2', params: [filter.subject] }
      : {
          sql: 'at >= to_timestamp($2::float8 / 1000) AND at < to_timestamp($3::float8 / 1000)',
          params: [filter.sinceMs, filter.untilMs],
        };
  const { rows } = await db.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM audit_log WHERE seq < $1 AND ${where.sql}`,
    [seq, ...where.params],
  );
  return Number(rows[0]!.n);
}
