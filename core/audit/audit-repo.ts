import type { Queryable } from '../db/database.js';
import type { SignedCheckpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { canonicalEntryBytes, entryLeafHash } from './entry.js';

/** Serialises appends across transactions and processes: every core replica takes it. */
const AUDIT_APPEND_LOCK = 0x7a656272; // "zebr"

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

/**
 * Appends one entry inside the caller's transaction, so the entry commits or rolls back with
 * the change it records. Appends are serialised on a transaction-scoped advisory lock.
 */
export async function appendAudit(tx: Queryable, entry: NewAuditEntry): Promise<AuditEntry> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
  const { rows } = await tx.query<{ next: string | number }>('SELECT coalesce(max(seq) + 1, 0) AS next FROM audit_log');
  const full: AuditEntry = { ...entry, seq: Number(rows[0]!.next) };
  await tx.query(
    `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash)
     VALUES ($1, to_timestamp($2::float8 / 1000), $3, $4, $5, $6, $7)`,
    [full.seq, full.atMs, full.actor, full.action, full.subject, canonicalEntryBytes(full), entryLeafHash(full)],
  );
  return full;
}

/**
 * Appends several entries, in order, inside the caller's transaction: one lock and one
 * multi-row insert. The same entries appended one by one would get the same sequence numbers.
 */
export async function appendAuditMany(tx: Queryable, entries: readonly NewAuditEntry[]): Promise<AuditEntry[]> {
  if (entries.length === 0) return [];
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_APPEND_LOCK]);
  const { rows } = await tx.query<{ next: string | number }>('SELECT coalesce(max(seq) + 1, 0) AS next FROM audit_log');
  const first = Number(rows[0]!.next);
  const full = entries.map((e, i): AuditEntry => ({ ...e, seq: first + i }));
  const params: unknown[] = [];
  const values = full.map((e, i) => {
    params.push(e.seq, e.atMs, e.actor, e.action, e.subject, canonicalEntryBytes(e), entryLeafHash(e));
    const p = (k: number): string => `$${i * 7 + k}`;
    return `(${p(1)}, to_timestamp(${p(2)}::float8 / 1000), ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)})`;
  });
  await tx.query(
    `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash) VALUES ${values.join(', ')}`,
    params,
  );
  return full;
}

/** Leaf hashes of entries 0..size-1 (all when size is omitted), in order. */
export async function loadLeafHashes(db: Queryable, size?: number): Promise<Buffer[]> {
  const { rows } = await db.query<{ leaf_hash: Uint8Array }>(
    size === undefined
      ? 'SELECT leaf_hash FROM audit_log ORDER BY seq'
      : 'SELECT leaf_hash FROM audit_log WHERE seq < $1 ORDER BY seq',
    size === undefined ? [] : [size],
  );
  return rows.map((r) => Buffer.from(r.leaf_hash));
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

interface CheckpointRow {
  tree_size: string | number;
  root_hash: Uint8Array;
  at_ms: number;
  origin: string;
  key_id: string;
  signature: Uint8Array;
}

const CHECKPOINT_COLUMNS = `tree_size, root_hash, (extract(epoch FROM at) * 1000)::float8 AS at_ms, origin, key_id, signature`;

function toCheckpoint(r: CheckpointRow): SignedCheckpoint {
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

export async function auditSize(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM audit_log');
  return Number(rows[0]!.n);
}
