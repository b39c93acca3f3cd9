import { z } from 'zod';
import type { SignedCheckpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import type { AuditExport } from './verify-log.js';

/** The file an auditor receives: JSON, binary values as base64 (hashes as hex). */
export const EXPORT_FORMAT = 'zebra-audit-export/v1';

const Hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits');

/** A signed checkpoint in JSON, as exports and extracts carry it. */
export const CheckpointJson = z
  .object({
    origin: z.string(),
    treeSize: z.number().int().positive(),
    rootHash: z.base64(),
    atMs: z.number().int(),
    keyId: z.string(),
    signature: z.base64(),
  })
  .strict();

/** The fields of one audit entry, as exports and extracts carry them. */
export const EntryFields = {
  seq: z.number().int().nonnegative(),
  atMs: z.number().int(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.json()),
};

const ExportJson = z
  .object({
    format: z.literal(EXPORT_FORMAT),
    origin: z.string(),
    exportedAtMs: z.number().int(),
    entries: z.array(z.object({ ...EntryFields, leafHash: Hex32 }).strict()),
    checkpoints: z.array(CheckpointJson),
  })
  .strict();

export type ExportJson = z.infer<typeof ExportJson>;
export type CheckpointJson = z.infer<typeof CheckpointJson>;

export function checkpointToJson(cp: SignedCheckpoint): CheckpointJson {
  return { ...cp, rootHash: cp.rootHash.toString('base64'), signature: cp.signature.toString('base64') };
}

export function checkpointFromJson(cp: CheckpointJson): SignedCheckpoint {
  return { ...cp, rootHash: Buffer.from(cp.rootHash, 'base64'), signature: Buffer.from(cp.signature, 'base64') };
}

/** Parses an export file; throws a message naming the first bad field. */
export function parseExportJson(raw: unknown): AuditExport {
  const parsed = ExportJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`not a ${EXPORT_FORMAT} file: ${issue.path.join('.')}: ${issue.message}`);
  }
  return {
    entries: parsed.data.entries.map((e) => ({ ...(e as AuditEntry), leafHash: Buffer.from(e.leafHash, 'hex') })),
    checkpoints: parsed.data.checkpoints.map(checkpointFromJson),
  };
}

export function parseCheckpointJson(raw: unknown): SignedCheckpoint {
  const parsed = CheckpointJson.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`not a checkpoint: ${issue.path.join('.')}: ${issue.message}`);
  }
  return checkpointFromJson(parsed.data);
}
