import type { Queryable } from '../db/database.js';
import type { SignedCheckpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { canonicalEntryBytes } from './entry.js';
import { leafHash } from './merkle.js';
import { writeAppendedNodes } from './tree-repo.js';

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

/**
 * SQL that reserves `count` audit sequence numbers (`count` is an SQL expression) and returns
 * the first as `first_seq`. It holds the head row's lock until the transaction ends, which
 * serialises appends across transactions and core replicas; the numbers must then be used by
 * {@link insertAuditEntries} in the same transaction (checked at commit).
 */
export function reserveAuditSeqsSql(count: string): string {
  return `UPDATE audit_head SET next_seq = next_seq + (${count}) RETURNING next_seq - (${count}) AS first_seq`;
}

/**
 * Inserts entries under sequence numbers reserved from `firstSeq` on, in order, with the
 * Merkle nodes they complete.
 */
export async function insertAuditEntries(
  tx: Queryable,
  firstSeq: number,
  entries: readonly NewAuditEntry[],
): Promise<AuditEntry[]> {
  if (entries.length === 0) return [];
  const full = entries.map((e, i): AuditEntry => ({ ...e, seq: firstSeq + i }));
  const canonical = full.map(canonicalEntryBytes);
  const leaves = canonical.map((bytes) => leafHash(bytes));
  await tx.query(
    `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash)
     SELECT seq, to_timestamp(at_ms / 1000), actor, action, subject, decode(canonical, 'hex'), decode(leaf, 'hex')
     FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       AS u (seq, at_ms, actor, action, subject, canonical, leaf)`,
    [
      full.map((e) => e.seq),
      full.map((e) => e.atMs),
      full.map((e) => e.actor),
      full.map((e) => e.action),
      full.map((e) => e.subject),
      canonical.map((bytes) => bytes.toString('hex')),
      leaves.map((leaf) => leaf.toString('hex')),
    ],
  );
  await writeAppendedNodes(tx, firstSeq, leaves);
  return full;
}

/**
 * Appends several entries, in order, inside the caller's transaction, so they commit or roll
 * back with the change they record: one reservation and one insert of column arrays. The
 * same entries appended one by one would get the same sequence numbers.
 */
export async function appendAuditMany(tx: Queryable, entries: readonly NewAuditEntry[]): Promise<AuditEntry[]> {
  if (entries.length === 0) return [];
  const { rows } = await tx.query<{ first_seq: string | number }>(reserveAuditSeqsSql('$1::bigint'), [entries.length]);
  return insertAuditEntries(tx, Number(rows[0]!.first_seq), entries);
}

/** Appends one entry inside the caller's transaction (see {@link appendAuditMany}). */
export async function appendAudit(tx: Queryable, entry: NewAuditEntry): Promise<AuditEntry> {
  const [full] = await appendAuditMany(tx, [entry]);
  return full!;
}

/** Entries with their stored leaf hashes, decoded from the canonical bytes that were hashed. */
export async function loadEntries(db: Queryable): Promise<(AuditEntry & { leafHash: Buffer })[]> {
  const { rows } = await db.query<{ canonical: Uint8Array; leaf_hash: Uint8Array }>(
    'SELECT canonical, leaf_hash FROM audit_log ORDER BY seq',
  );
  return rows.map((r) => ({
    ...(JSON.parse(Buffer.from(r.canonical).toString('utf8')) as AuditEntry),
    leafHash: Buffer.from(r.leaf_hash),
  }));
}

/** Entries about one subject (e.g. an event id), oldest first. */
export async function entriesFor(db: Queryable, subject: string): Promise<AuditEntry[]> {
  const { rows } = await db.query<{ canonical: Uint8Array }>(
    'SELECT canonical FROM audit_log WHERE subject = $1 ORDER BY seq',
    [subject],
  );
  return rows.map((r) => JSON.parse(Buffer.from(r.canonical).toString('utf8')) as AuditEntry);
}

export async function insertCheckpoint(db: Queryable, cp: SignedCheckpoint): Promise<void> {
  await db.query(
    `INSERT INTO audit_checkpoints (tree_size, root_hash, at, origin, key_id, signature)
     VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4, $5, $6) ON CONFLICT (tree_size) DO NOTHING`,
    [cp.treeSize, cp.rootHash, cp.atMs, cp.origin, cp.keyId, cp.signature],
  );
}

export interface CheckpointRow {
  tree_size: string | number;
  root_hash: Uint8Array;
  at_ms: number;
  origin: string;
  key_id: string;
  signature: Uint8Array;
}

export const CHECKPOINT_COLUMNS = `tree_size, root_hash, (extract(epoch FROM at) * 1000)::float8 AS at_ms, origin, key_id, signature`;

export function toCheckpoint(r: CheckpointRow): SignedCheckpoint {
  return {
    treeSize: Number(r.tree_size),
    rootHash: Buffer.from(r.root_hash),
    atMs: Math.round(r.at_ms),
    origin: r.origin,
    keyId: r.key_id,
    signature: Buffer.from(r.signature),
  };
}

export async function listCheckpoints(db: Queryable): Promise<SignedCheckpoint[]> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY tree_size`,
  );
  return rows.map(toCheckpoint);
}

/** The newest signed checkpoint, if any. */
export async function latestCheckpoint(db: Queryable): Promise<SignedCheckpoint | undefined> {
  const { rows } = await db.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`,
  );
  return rows[0] && toCheckpoint(rows[0]);
}

/** The number of committed entries, from the audit head (not a count of the log). */
export async function auditLogSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ next_seq: string | number }>('SELECT next_seq FROM audit_head');
  return Number(rows[0]!.next_seq);
}
