import { createHash } from 'node:crypto';
import type { InfractionEvent } from '../../proto/index.js';
import { appendAuditMany } from '../audit/audit-repo.js';
import type { NewAuditEntry } from '../audit/audit-repo.js';
import type { Queryable } from '../db/database.js';
import { checkEventSignature, findDevices } from '../devices/devices-repo.js';
import type { QuarantinePlan } from './quarantine-budget.js';
import { lockDevices } from './release.js';

const MINUTE_MS = 60_000;
import { sha256Hex } from './store.js';

/** One refused message, with how the budget keeps it. */
export interface QuarantineItem {
  readonly streamSeq: number;
  readonly subject: string;
  readonly code: string;
  readonly reason: string;
  readonly payload: Uint8Array;
  readonly plan: QuarantinePlan;
  /** A curable refusal's event: not quarantined if its device is registered by now. */
  readonly curable?: InfractionEvent | undefined;
}

/**
 * What became of it: kept as a row (`duplicate`: a redelivery of one already kept), counted
 * only, or not quarantined because its device was registered meanwhile.
 */
export type QuarantineOutcome = 'kept' | 'duplicate' | 'counted' | 'registered';

/** Of the curable items, those whose device is registered now (in the database, under its lock), such that they verify. */
async function registeredMeanwhile(tx: Queryable, items: readonly QuarantineItem[]): Promise<Set<QuarantineItem>> {
  const curable = items.filter((i) => i.curable !== undefined);
  if (curable.length === 0) return new Set();
  const deviceIds = curable.map((i) => i.curable!.deviceId);
  await lockDevices(tx, deviceIds);
  const devices = await findDevices(tx, deviceIds);
  return new Set(
    curable.filter((i) => {
      const device = devices.get(i.curable!.deviceId);
      return device !== undefined && checkEventSignature(i.curable!, device).ok;
    }),
  );
}

async function insertRows(tx: Queryable, rows: readonly QuarantineItem[]): Promise<Set<number>> {
  if (rows.length === 0) return new Set();
  const kept = (i: QuarantineItem): Uint8Array => (i.plan.kind === 'row' ? i.plan.payload : new Uint8Array());
  const result = await tx.query<{ stream_seq: string | number }>(
    `INSERT INTO quarantine (stream_seq, subject, reason_code, reason, payload, payload_size, payload_sha256)
     SELECT seq, subject, code, reason, decode(payload, 'hex'), size, sha
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[])
       AS u (seq, subject, code, reason, payload, size, sha)
     ON CONFLICT (stream_seq) DO NOTHING
     RETURNING stream_seq`,
    [
      rows.map((i) => i.streamSeq),
      rows.map((i) => i.subject),
      rows.map((i) => i.code),
      rows.map((i) => i.reason),
      rows.map((i) => Buffer.from(kept(i)).toString('hex')),
      rows.map((i) => i.payload.length),
      rows.map((i) => sha256Hex(i.payload)),
    ],
  );
  return new Set(result.rows.map((r) => Number(r.stream_seq)));
}

function keptEntry(i: QuarantineItem, atMs: number): NewAuditEntry {
  const keptBytes = i.plan.kind === 'row' ? i.plan.payload.length : 0;
  return {
    atMs,
    actor: 'system:ingest',
    action: 'message.quarantined',
    subject: `stream:${i.streamSeq}`,
    details: {
      reasonCode: i.code,
      reason: i.reason,
      natsSubject: i.subject,
      payloadSha256: sha256Hex(i.payload),
      ...(keptBytes < i.payload.length ? { payloadBytes: i.payload.length, payloadKeptBytes: keptBytes } : {}),
    },
  };
}

interface CountGroup {
  readonly minuteStartMs: number;
  readonly source: string;
  readonly code: string;
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  readonly hashes: ReturnType<typeof createHash>;
}

function groupCounted(items: readonly QuarantineItem[]): CountGroup[] {
  const groups = new Map<string, CountGroup>();
  for (const i of items) {
    if (i.plan.kind !== 'count') continue;
    const key = `${i.plan.minuteStartMs} ${i.plan.source} ${i.code}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        minuteStartMs: i.plan.minuteStartMs,
        source: i.plan.source,
        code: i.code,
        messages: 0,
        bytes: 0,
        firstSeq: i.streamSeq,
        lastSeq: i.streamSeq,
        hashes: createHash('sha256'),
      };
      groups.set(key, g);
    }
    g.messages += 1;
    g.bytes += i.payload.length;
    g.firstSeq = Math.min(g.firstSeq, i.streamSeq);
    g.lastSeq = Math.max(g.lastSeq, i.streamSeq);
    g.hashes.update(sha256Hex(i.payload));
  }
  return [...groups.values()];
}

async function addCounts(tx: Queryable, groups: readonly CountGroup[]): Promise<void> {
  if (groups.length === 0) return;
  await tx.query(
    `INSERT INTO quarantine_overflow AS o
       (minute_start, source, reason_code, messages, payload_bytes, first_stream_seq, last_stream_seq, payloads_sha256)
     SELECT to_timestamp(minute_ms / 1000), source, code, messages, bytes, first_seq, last_seq, decode(hash, 'hex')
     FROM unnest($1::float8[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[])
       AS u (minute_ms, source, code, messages, bytes, first_seq, last_seq, hash)
     ON CONFLICT (minute_start, source, reason_code) DO UPDATE SET
       messages = o.messages + EXCLUDED.messages,
       payload_bytes = o.payload_bytes + EXCLUDED.payload_bytes,
       first_stream_seq = LEAST(o.first_stream_seq, EXCLUDED.first_stream_seq),
       last_stream_seq = GREATEST(o.last_stream_seq, EXCLUDED.last_stream_seq),
       payloads_sha256 = sha256(o.payloads_sha256 || EXCLUDED.payloads_sha256)`,
    [
      groups.map((g) => g.minuteStartMs),
      groups.map((g) => g.source),
      groups.map((g) => g.code),
      groups.map((g) => g.messages),
      groups.map((g) => g.bytes),
      groups.map((g) => g.firstSeq),
      groups.map((g) => g.lastSeq),
      groups.map((g) => g.hashes.digest('hex')),
    ],
  );
}

interface OverflowRow {
  minute_start_ms: string | number;
  source: string;
  reason_code: string;
  messages: string | number;
  payload_bytes: string | number;
  first_stream_seq: string | number;
  last_stream_seq: string | number;
  payloads_sha256: Uint8Array;
}

/**
 * Audits the counts of every minute before this one not audited yet, one entry per source and
 * reason: a minute's counts are final once it is over (counts go to the minute of their time).
 */
async function auditClosedCounts(tx: Queryable, atMs: number): Promise<NewAuditEntry[]> {
  const { rows } = await tx.query<OverflowRow>(
    `UPDATE quarantine_overflow SET audited_at = to_timestamp($1::float8 / 1000)
     WHERE audited_at IS NULL AND minute_start < to_timestamp($2::float8 / 1000)
     RETURNING (extract(epoch FROM minute_start) * 1000)::float8 AS minute_start_ms, source, reason_code, messages,
       payload_bytes, first_stream_seq, last_stream_seq, payloads_sha256`,
    [atMs, Math.floor(atMs / MINUTE_MS) * MINUTE_MS],
  );
  const byMinute = (a: OverflowRow, b: OverflowRow): number =>
    Number(a.minute_start_ms) - Number(b.minute_start_ms) || Number(a.first_stream_seq) - Number(b.first_stream_seq);
  return [...rows].sort(byMinute).map((r) => ({
    atMs,
    actor: 'system:ingest',
    action: 'messages.counted',
    subject: `stream:${Number(r.first_stream_seq)}-${Number(r.last_stream_seq)}`,
    details: {
      reasonCode: r.reason_code,
      source: r.source,
      minuteStartMs: Number(r.minute_start_ms),
      messages: Number(r.messages),
      payloadBytes: Number(r.payload_bytes),
      // SHA-256 chained over each batch's SHA-256 of its messages' payload SHA-256s (hex), in stream order.
      payloadsSha256: Buffer.from(r.payloads_sha256).toString('hex'),
    },
  }));
}

/**
 * Quarantines refused messages in the caller's transaction: rows (audited once each, a
 * redelivery changes nothing) and counts (audited once per minute, source and reason, by the
 * first call after that minute). A curable message whose device is registered by now is left out, for the
 * caller to check again. Returns each item's outcome, in order.
 */
export async function storeQuarantined(
  tx: Queryable,
  items: readonly QuarantineItem[],
  atMs: number,
): Promise<QuarantineOutcome[]> {
  const registered = await registeredMeanwhile(tx, items);
  const rows = items.filter((i) => i.plan.kind === 'row' && !registered.has(i));
  const fresh = await insertRows(tx, rows);
  // A batch may hold one message twice (a redelivery beside the original): audit it once.
  const newRows = rows.filter(
    (i, n) => fresh.has(i.streamSeq) && rows.findIndex((r) => r.streamSeq === i.streamSeq) === n,
  );
  const closed = await auditClosedCounts(tx, atMs);
  await addCounts(tx, groupCounted(items));
  await appendAuditMany(tx, [...closed, ...newRows.map((i) => keptEntry(i, atMs))]);
  return items.map((i) => {
    if (registered.has(i)) return 'registered';
    if (i.plan.kind === 'count') return 'counted';
    return fresh.has(i.streamSeq) ? 'kept' : 'duplicate';
  });
}
