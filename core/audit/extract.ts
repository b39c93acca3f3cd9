import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import type { SignedCheckpoint } from './checkpoint.js';
import { isCheckpointSigned } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { entryLeafHash } from './entry.js';
import { CheckpointJson, EntryFields, checkpointFromJson } from './export-format.js';
import { verifyInclusion } from './merkle.js';
import { proveInclusions } from './tree-repo.js';

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
  /** Only entries with a larger sequence number (default -1: from the first). */
  readonly afterSeq?: number;
  /** At most this many entries: 1 to {@link EXTRACT_PAGE_MAX}, default {@link EXTRACT_PAGE_DEFAULT}. */
  readonly limit?: number;
}

export const EXTRACT_PAGE_DEFAULT = 1000;
export const EXTRACT_PAGE_MAX = 10_000;

function checkedPage(page: ExtractPage): { afterSeq: number; limit: number } {
  const { afterSeq = -1, limit = EXTRACT_PAGE_DEFAULT } = page;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < -1)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `afterSeq must be a whole number >= -1, not ${afterSeq}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > EXTRACT_PAGE_MAX)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `limit must be 1 to ${EXTRACT_PAGE_MAX}, not ${limit}`);
  return { afterSeq, limit };
}

async function extractPage(
  db: Queryable,
  checkpoint: SignedCheckpoint,
  filter: ExtractFilter,
  page: { afterSeq: number; limit: number },
): Promise<ExtractEntry[]> {
  const where =
    'subject' in filter
      ? { sql: 'subject = $4', params: [filter.subject] }
      : {
          sql: 'at >= to_timestamp($4::float8 / 1000) AND at < to_timestamp($5::float8 / 1000)',
          params: [filter.sinceMs, filter.untilMs],
        };
  const { rows } = await db.query<{ seq: string | number; canonical: Uint8Array }>(
    `SELECT seq, canonical FROM audit_log WHERE seq > $1 AND seq < $2 AND ${where.sql} ORDER BY seq LIMIT $3`,
    [page.afterSeq, checkpoint.treeSize, page.limit, ...where.params],
  );
  if (rows.length === 0) return [];
  const proofs = await proveInclusions(
    db,
    rows.map((r) => Number(r.seq)),
    checkpoint.treeSize,
  );
  return rows.map((r, i) => ({
    entry: JSON.parse(Buffer.from(r.canonical).toString('utf8')) as AuditEntry,
    proof: proofs[i]!,
  }));
}

/**
 * The entries matching `filter` that the checkpoint covers, in order, each with its audit path
 * in the checkpoint's tree. With `page`, only that page (the next one starts after the last
 * entry's seq; a short page is the last); without, every match, read page by page. Each page
 * costs one query for its entries and one for the O(page * log n) tree nodes of their proofs.
 */
export async function buildExtract(
  db: Queryable,
  checkpoint: SignedCheckpoint,
  filter: ExtractFilter,
  page?: ExtractPage,
): Promise<AuditExtract> {
  if (page) return { checkpoint, entries: await extractPage(db, checkpoint, filter, checkedPage(page)) };
  const entries: ExtractEntry[] = [];
  for (let afterSeq = -1; ;) {
    const next = await extractPage(db, checkpoint, filter, { afterSeq, limit: EXTRACT_PAGE_DEFAULT });
    entries.push(...next);
    if (next.length < EXTRACT_PAGE_DEFAULT) return { checkpoint, entries };
    afterSeq = next.at(-1)!.entry.seq;
  }
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
