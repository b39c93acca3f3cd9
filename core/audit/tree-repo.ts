import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import {
  appendNodesNeeded,
  appendedNodes,
  consistencyRanges,
  hashesOf,
  inclusionRanges,
  nodesFor,
  readerOf,
  rootRange,
} from './tree-nodes.js';
import type { NodeReader, NodeRef, StoredNode } from './tree-nodes.js';

/**
 * The Merkle tree in PostgreSQL: leaves in audit_log (level 0), perfect subtrees of level >= 1
 * in audit_nodes. Every function here reads the nodes it needs in one query: O(log n) rows per
 * root or proof, never a scan of the log.
 */

/** Reads the given nodes (level 0 from audit_log) in one query. */
export async function readNodes(db: Queryable, refs: readonly NodeRef[]): Promise<NodeReader> {
  if (refs.length === 0) return readerOf([]);
  const leaves = refs.filter((r) => r.level === 0).map((r) => r.idx);
  const inner = refs.filter((r) => r.level > 0);
  const { rows } = await db.query<{ level: number; idx: string | number; hash: Uint8Array }>(
    `SELECT 0 AS level, seq AS idx, leaf_hash AS hash FROM audit_log WHERE seq = ANY($1::bigint[])
     UNION ALL
     SELECT n.level, n.idx, n.hash
     FROM unnest($2::smallint[], $3::bigint[]) AS u (level, idx)
       JOIN audit_nodes n ON n.level = u.level AND n.idx = u.idx`,
    [leaves, inner.map((r) => r.level), inner.map((r) => r.idx)],
  );
  const read = readerOf(
    rows.map((r): StoredNode => ({ level: Number(r.level), idx: Number(r.idx), hash: Buffer.from(r.hash) })),
  );
  return (level, idx) => {
    try {
      return read(level, idx);
    } catch (err) {
      throw new CoreError(CoreErrorCode.DATA_CORRUPT, `the audit tree is incomplete: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
}

/**
 * Writes the nodes that entries just inserted at [firstSeq, firstSeq + leaves.length) complete,
 * in the appending transaction (which holds the audit head's lock): one read of the right-edge
 * nodes it combines with, one insert.
 */
export async function writeAppendedNodes(tx: Queryable, firstSeq: number, leaves: readonly Buffer[]): Promise<void> {
  if (leaves.length === 0) return;
  const read = await readNodes(tx, appendNodesNeeded(firstSeq, leaves.length));
  const nodes = appendedNodes(read, firstSeq, leaves);
  if (nodes.length === 0) return;
  await tx.query(
    `INSERT INTO audit_nodes (level, idx, hash)
     SELECT level, idx, decode(hash, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS u (level, idx, hash)`,
    [nodes.map((n) => n.level), nodes.map((n) => n.idx), nodes.map((n) => n.hash.toString('hex'))],
  );
}

/** The root of the tree of the first `size` entries. */
export async function treeRoot(db: Queryable, size: number): Promise<Buffer> {
  const range = rootRange(size);
  return hashesOf(await readNodes(db, nodesFor([range])), [range])[0]!;
}

/** The leaf hash of entry `index` and its audit path in the tree of `size` entries. */
export async function proveInclusion(
  db: Queryable,
  index: number,
  size: number,
): Promise<{ leafHash: Buffer; auditPath: Buffer[] }> {
  const ranges = inclusionRanges(index, size);
  const read = await readNodes(db, [{ level: 0, idx: index }, ...nodesFor(ranges)]);
  return { leafHash: read(0, index), auditPath: hashesOf(read, ranges) };
}

/** The audit paths of several entries in the tree of `size` entries, with one read. */
export async function proveInclusions(db: Queryable, indexes: readonly number[], size: number): Promise<Buffer[][]> {
  const perEntry = indexes.map((i) => inclusionRanges(i, size));
  const read = await readNodes(db, nodesFor(perEntry.flat()));
  return perEntry.map((ranges) => hashesOf(read, ranges));
}

/** The proof that the tree of size m is a prefix of the tree of size n. */
export async function proveConsistency(db: Queryable, m: number, n: number): Promise<Buffer[]> {
  const ranges = consistencyRanges(m, n);
  return hashesOf(await readNodes(db, nodesFor(ranges)), ranges);
}
