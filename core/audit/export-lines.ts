import { z } from 'zod';
import type { SignedCheckpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { canonicalEntryText } from './entry.js';
import { CheckpointJson, checkpointFromJson, checkpointToJson } from './export-format.js';

/**
 * The streaming file formats (NDJSON: one JSON object per line, "\n" after each).
 *
 * Export v2: a header line, then entry `s` (with its stored leaf hash) for s = 0 … treeSize-1,
 * each followed by the signed checkpoint of tree size s+1 when there is one, then a trailer
 * with the counts (a file without it was cut short).
 *
 * Extract v2: a header with the head checkpoint, the matching entries (each with its inclusion
 * proof in the head's tree) in seq order, then a trailer.
 */
export const EXPORT_FORMAT_V2 = 'zebra-audit-export/v2';
export const EXTRACT_FORMAT_V2 = 'zebra-audit-extract/v2';

/** What an extract selected, as its header records it (so a resume needs no repeated options). */
export type ExtractSelection = { readonly eventId: string } | { readonly sinceMs: number; readonly untilMs: number };

export type ExportHeader =
  | {
      readonly format: typeof EXPORT_FORMAT_V2;
      readonly origin: string;
      readonly exportedAtMs: number;
      readonly treeSize: number;
    }
  | {
      readonly format: typeof EXTRACT_FORMAT_V2;
      readonly origin: string;
      readonly exportedAtMs: number;
      readonly checkpoint: CheckpointJson;
      readonly selection: ExtractSelection;
    };

export interface ExportTrailer {
  readonly type: 'end';
  readonly entries: number;
  /** Checkpoint lines (full exports only). */
  readonly checkpoints?: number;
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

export function headerLine(header: ExportHeader): string {
  return line(header);
}

/**
 * An export entry line: the canonical entry bytes (the very bytes that were hashed) with the
 * line's type in front and the stored leaf hash behind, so the server writes it without
 * decoding the entry.
 */
export function entryLineFromCanonical(canonical: string, leafHash: Buffer): string {
  return `{"type":"entry",${canonical.slice(1, -1)},"leafHash":"${leafHash.toString('hex')}"}\n`;
}

/** The same line from an entry object. */
export function entryLine(entry: AuditEntry, leafHash: Buffer): string {
  return entryLineFromCanonical(canonicalEntryText(entry), leafHash);
}

export function extractEntryLine(entry: AuditEntry, proof: readonly Buffer[]): string {
  const { seq, atMs, actor, action, subject, details } = entry;
  return line({
    type: 'entry',
    seq,
    atMs,
    actor,
    action,
    subject,
    details,
    inclusionProof: proof.map((p) => p.toString('hex')),
  });
}

export function checkpointLine(cp: SignedCheckpoint): string {
  return line({ type: 'checkpoint', ...checkpointToJson(cp) });
}

export function trailerLine(trailer: Omit<ExportTrailer, 'type'>): string {
  return line({ type: 'end', ...trailer });
}

/** Base64 with no slack: two spellings of the same bytes would let a file change unnoticed. */
const isCanonicalBase64 = (text: string): boolean => Buffer.from(text, 'base64').toString('base64') === text;

const CanonicalCheckpoint = CheckpointJson.refine(
  (cp) => isCanonicalBase64(cp.rootHash) && isCanonicalBase64(cp.signature),
  'rootHash and signature must be canonical base64',
);

const Selection = z.union([
  z.object({ eventId: z.string() }).strict(),
  z.object({ sinceMs: z.number().int(), untilMs: z.number().int() }).strict(),
]);

const Header = z.discriminatedUnion('format', [
  z
    .object({
      format: z.literal(EXPORT_FORMAT_V2),
      origin: z.string(),
      exportedAtMs: z.number().int(),
      treeSize: z.number().int().nonnegative(),
    })
    .strict(),
  z
    .object({
      format: z.literal(EXTRACT_FORMAT_V2),
      origin: z.string(),
      exportedAtMs: z.number().int(),
      checkpoint: CanonicalCheckpoint,
      selection: Selection,
    })
    .strict(),
]);

const Trailer = z
  .object({
    type: z.literal('end'),
    entries: z.number().int().nonnegative(),
    checkpoints: z.number().int().nonnegative().optional(),
  })
  .strict();

const CheckpointLine = CheckpointJson.extend({ type: z.literal('checkpoint') })
  .strict()
  .refine(
    (cp) => isCanonicalBase64(cp.rootHash) && isCanonicalBase64(cp.signature),
    'rootHash and signature must be canonical base64',
  );

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || '(line)'}: ${issue.message}`;
}

/** Parses a header line; throws naming the first bad field. */
export function parseHeader(raw: unknown): ExportHeader {
  const parsed = Header.safeParse(raw);
  if (!parsed.success)
    throw new Error(`not a ${EXPORT_FORMAT_V2} or ${EXTRACT_FORMAT_V2} header: ${firstIssue(parsed.error)}`);
  return parsed.data;
}

export function parseTrailer(raw: unknown): ExportTrailer | string {
  const parsed = Trailer.safeParse(raw);
  return parsed.success ? parsed.data : `bad trailer: ${firstIssue(parsed.error)}`;
}

export function parseCheckpointLine(raw: unknown): SignedCheckpoint | string {
  const parsed = CheckpointLine.safeParse(raw);
  if (!parsed.success) return `bad checkpoint line: ${firstIssue(parsed.error)}`;
  const { origin, treeSize, rootHash, atMs, keyId, signature } = parsed.data;
  return checkpointFromJson({ origin, treeSize, rootHash, atMs, keyId, signature });
}

const HEX32 = /^[0-9a-f]{64}$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ENTRY_KEYS = new Set(['type', 'seq', 'atMs', 'actor', 'action', 'subject', 'details']);

/**
 * Checks an entry line's fields by hand (a schema library costs more than the hashing at
 * 50,000 lines a second). Returns the entry and its extra field, or a message.
 */
export function parseEntryFields(
  raw: Record<string, unknown>,
  extra: 'leafHash' | 'inclusionProof',
): { entry: AuditEntry; extra: Buffer | Buffer[] } | string {
  for (const key of Object.keys(raw)) if (!ENTRY_KEYS.has(key) && key !== extra) return `unknown field ${key}`;
  const { seq, atMs, actor, action, subject, details } = raw;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return 'seq: must be a whole number, 0 or more';
  if (!Number.isSafeInteger(atMs)) return 'atMs: must be a whole number';
  if (typeof actor !== 'string' || typeof action !== 'string' || typeof subject !== 'string')
    return 'actor, action and subject must be strings';
  if (!isPlainObject(details)) return 'details: must be an object';
  const value = raw[extra];
  let parsedExtra: Buffer | Buffer[];
  if (extra === 'leafHash') {
    if (typeof value !== 'string' || !HEX32.test(value)) return 'leafHash: must be 64 hex digits';
    parsedExtra = Buffer.from(value, 'hex');
  } else {
    if (!Array.isArray(value) || value.length > 64 || !value.every((p) => typeof p === 'string' && HEX32.test(p)))
      return 'inclusionProof: must be at most 64 hashes of 64 hex digits';
    parsedExtra = value.map((p: string) => Buffer.from(p, 'hex'));
  }
  return { entry: { seq, atMs, actor, action, subject, details } as AuditEntry, extra: parsedExtra };
}

/**
 * The v2 file of an in-memory log (tests and tools; the server streams the same lines from
 * the database page by page): each checkpoint right after the entry that completes it.
 */
export function* exportToLines(
  origin: string,
  exportedAtMs: number,
  log: {
    readonly entries: readonly (AuditEntry & { readonly leafHash: Buffer })[];
    readonly checkpoints: readonly SignedCheckpoint[];
  },
): Generator<string> {
  const checkpoints = [...log.checkpoints].sort((a, b) => a.treeSize - b.treeSize);
  const treeSize = checkpoints.at(-1)?.treeSize ?? 0;
  yield headerLine({ format: EXPORT_FORMAT_V2, origin, exportedAtMs, treeSize });
  let next = 0;
  for (const [i, e] of log.entries.entries()) {
    for (; next < checkpoints.length && checkpoints[next]!.treeSize <= i; next += 1)
      yield checkpointLine(checkpoints[next]!);
    yield entryLine(e, e.leafHash);
  }
  for (; next < checkpoints.length; next += 1) yield checkpointLine(checkpoints[next]!);
  yield trailerLine({ entries: log.entries.length, checkpoints: checkpoints.length });
}
