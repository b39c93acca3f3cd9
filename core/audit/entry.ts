import { leafHash } from './merkle.js';

/** A JSON value with no floats, undefined or functions: what an audit entry may hold. */
export type AuditValue =
  string | number | boolean | null | readonly AuditValue[] | { readonly [key: string]: AuditValue };

/** One audit log entry, as stored and as exported. */
export interface AuditEntry {
  /** 0-based position in the log; equals the Merkle leaf index. */
  readonly seq: number;
  readonly atMs: number;
  /** Who acted: a user id, `device:<id>` or `system:<component>`. */
  readonly actor: string;
  /** What happened, e.g. `event.ingested`, `review.confirmed`, `evidence.read`. */
  readonly action: string;
  /** What it happened to, e.g. an event id. */
  readonly subject: string;
  readonly details: { readonly [key: string]: AuditValue };
}

function canonical(value: AuditValue): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new TypeError(`audit values must be safe integers, not ${value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as { readonly [key: string]: AuditValue };
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k]!)}`).join(',')}}`;
}

/**
 * The canonical bytes of an entry: JSON with keys sorted at every level, no whitespace,
 * integers only. Two encoders that follow this rule produce the same bytes.
 */
export function canonicalEntryBytes(entry: AuditEntry): Buffer {
  return Buffer.from(canonicalEntryText(entry), 'utf8');
}

/** The canonical bytes as a string (UTF-8 encodes it to exactly those bytes). */
export function canonicalEntryText(entry: AuditEntry): string {
  const { seq, atMs, actor, action, subject, details } = entry;
  return canonical({ seq, atMs, actor, action, subject, details });
}

/** The Merkle leaf hash of an entry. */
export function entryLeafHash(entry: AuditEntry): Buffer {
  return leafHash(canonicalEntryBytes(entry));
}
