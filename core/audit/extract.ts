import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { loadLeafHashes } from './audit-repo.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { isCheckpointSigned } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { entryLeafHash } from './entry.js';
import { CheckpointJson, EntryFields, checkpointFromJson, checkpointToJson } from './export-format.js';
import { inclusionProof, verifyInclusion } from './merkle.js';

/** Part of the log (one event's entries, or a period), each entry with its inclusion proof. */
export const EXTRACT_FORMAT = 'zebra-audit-extract/v1';

export interface ExtractEntry {
  readonly entry: AuditEntry;
  readonly proof: readonly Buffer[];
}

export interface AuditExtract {
  readonly checkpoint: SignedCheckpoint;
  readonly entries: readonly ExtractEntry[];
}

export type ExtractFilter = { readonly subject: string } | { readonly sinceMs: number; readonly untilMs: number };

/** One page of an extract: the entries after `afterSeq`, at most `limit` of them. */
export interface ExtractPage {
  readonly afterSeq?: number;
  readonly limit?: number;
}

/**
 * The entries matching `filter` that the checkpoint covers, each with its audit path in the
 * checkpoint's tree; with `page`, only those after `afterSeq`, at most `limit`.
 */
export async function buildExtract(
  db: Queryable,
  checkpoint: SignedCheckpoint,
  filter: ExtractFilter,
  page: ExtractPage = {},
): Promise<AuditExtract> {
  const where =
    'subject' in filter
      ? { sql: 'subject = $2', params: [filter.subject] }
      : {
          sql: 'at >= to_timestamp($2::float8 / 1000) AND at < to_timestamp($3::float8 / 1000)',
          params: [filter.sinceMs, filter.untilMs],
        };
  const { rows } = await db.query<{ seq: string | number; canonical: Uint8Array }>(
    `SELECT seq, canonical FROM audit_log WHERE seq < $1 AND ${where.sql} AND seq > $${where.params.length + 2}
     ORDER BY seq LIMIT $${where.params.length + 3}`,
    [checkpoint.treeSize, ...where.params, page.afterSeq ?? -1, page.limit ?? null],
  );
  const leaves = rows.length > 0 ? await loadLeafHashes(db, checkpoint.treeSize) : [];
  return {
    checkpoint,
    entries: rows.map((r) => ({
      entry: JSON.parse(Buffer.from(r.canonical).toString('utf8')) as AuditEntry,
      proof: inclusionProof(Number(r.seq), leaves, checkpoint.treeSize),
    })),
  };
}

export interface ExtractCheck {
  readonly isValid: boolean;
  readonly problems: readonly string[];
}

/** Checks the checkpoint's signature against the pinned key and every entry's proof. Pure. */
export function verifyExtract(extract: AuditExtract, publicKey: KeyObject): ExtractCheck {
  const problems: string[] = [];
  const cp = extract.checkpoint;
  if (!isCheckpointSigned(cp, publicKey))
    problems.push(`the checkpoint (size ${cp.treeSize}) is not signed by the log key`);
  let previous = -1;
  for (const { entry, proof } of extract.entries) {
    if (entry.seq <= previous) problems.push(`entry ${entry.seq} is out of order`);
    previous = entry.seq;
    if (!verifyInclusion(entry.seq, cp.treeSize, entryLeafHash(entry), proof, cp.rootHash))
      problems.push(`entry ${entry.seq} (${entry.action}) is not in the signed tree of size ${cp.treeSize}`);
  }
  return { isValid: problems.length === 0, problems };
}

const ExtractJson = z
  .object({
    format: z.literal(EXTRACT_FORMAT),
    exportedAtMs: z.number().int(),
    checkpoint: CheckpointJson,
    entries: z.array(
      z.object({ ...EntryFields, inclusionProof: z.array(z.string().regex(/^[0-9a-f]{64}$/)) }).strict(),
    ),
  })
  .strict();

export function extractToJson(extract: AuditExtract, exportedAtMs: number): unknown {
  return {
    format: EXTRACT_FORMAT,
    exportedAtMs,
    checkpoint: checkpointToJson(extract.checkpoint),
    entries: extract.entries.map(({ entry, proof }) => ({
      seq: entry.seq,
      atMs: entry.atMs,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      details: entry.details,
      inclusionProof: proof.map((p) => p.toString('hex')),
    })),
  };
}

export function isExtractJson(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === EXTRACT_FORMAT;
}

/** Parses an extract file; throws a message naming the first bad field. */
export function parseExtractJson(raw: unknown): AuditExtract {
  const parsed = ExtractJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`not a ${EXTRACT_FORMAT} file: ${issue.path.join('.')}: ${issue.message}`);
  }
  return {
    checkpoint: checkpointFromJson(parsed.data.checkpoint),
    entries: parsed.data.entries.map(({ inclusionProof: proof, ...entry }) => ({
      entry: entry,
      proof: proof.map((p) => Buffer.from(p, 'hex')),
    })),
  };
}
