import {
  GetQuarantinedRequest,
  GetQuarantinedResponse,
  ListQuarantineRequest,
  ListQuarantineResponse,
} from '../../proto/index.js';
import type { QuarantinedMessage } from '../../proto/index.js';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { pageSize } from './args.js';
import { rpc } from './method.js';
import type { MethodSpec } from './method.js';

const READERS = ['supervisor', 'auditor'] as const;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
/** The most payload GetQuarantined returns, whatever was kept. */
export const QUARANTINE_HEAD_BYTES = 64 * 1024;

interface Row {
  id: string | number;
  stream_seq: string | number;
  subject: string;
  reason_code: string;
  reason: string;
  received_at_ms: number;
  payload_size: string | number;
  payload_kept: string | number;
  payload_sha256: string | null;
  released_at_ms: number | null;
  released_event_id: string | null;
}

// Never the payload itself: its length and, for one row, its first bytes.
const COLUMNS = `id, stream_seq, subject, reason_code, reason,
  (extract(epoch FROM received_at) * 1000)::float8 AS received_at_ms,
  coalesce(payload_size, octet_length(payload)) AS payload_size, octet_length(payload) AS payload_kept, payload_sha256,
  (extract(epoch FROM released_at) * 1000)::float8 AS released_at_ms, released_event_id::text AS released_event_id`;

function toMessage(r: Row): QuarantinedMessage {
  return {
    id: Number(r.id),
    streamSeq: Number(r.stream_seq),
    subject: r.subject,
    reasonCode: r.reason_code,
    reason: r.reason,
    receivedAtMs: Math.round(Number(r.received_at_ms)),
    payloadSizeBytes: Number(r.payload_size),
    payloadKeptBytes: Number(r.payload_kept),
    payloadSha256: r.payload_sha256 ?? '',
    releasedAtMs: r.released_at_ms === null ? 0 : Math.round(Number(r.released_at_ms)),
    releasedEventId: r.released_event_id ?? '',
  };
}

function positiveId(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${name} must be a whole number, 0 or more`);
  return value;
}

/** The newest kept messages with an id below `beforeId` (0: the newest), one index range. */
export async function listQuarantine(db: Queryable, limit: number, beforeId: number): Promise<QuarantinedMessage[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM quarantine WHERE ($2::bigint = 0 OR id < $2::bigint) ORDER BY id DESC LIMIT $1`,
    [limit, beforeId],
  );
  return rows.map(toMessage);
}

/** One kept message and at most {@link QUARANTINE_HEAD_BYTES} of its payload (cut in the database). */
export async function getQuarantined(db: Queryable, id: number): Promise<GetQuarantinedResponse> {
  const { rows } = await db.query<Row & { head: Uint8Array }>(
    `SELECT ${COLUMNS}, substring(payload FROM 1 FOR $2) AS head FROM quarantine WHERE id = $1`,
    [id, QUARANTINE_HEAD_BYTES],
  );
  const row = rows[0];
  if (!row) throw new CoreError(CoreErrorCode.NOT_FOUND, `no quarantined message ${id}`);
  return { message: toMessage(row), payloadHead: Buffer.from(row.head) };
}

/** EventService's quarantine view: supervisors and auditors. */
export const quarantineMethods: Record<'listQuarantine' | 'getQuarantined', MethodSpec> = {
  listQuarantine: rpc(READERS, ListQuarantineRequest, ListQuarantineResponse, async (ctx, req) => ({
    messages: await listQuarantine(
      ctx.deps.db,
      pageSize(req.limit, DEFAULT_PAGE, MAX_PAGE, 'limit'),
      positiveId('before_id', req.beforeId),
    ),
  })),
  getQuarantined: rpc(READERS, GetQuarantinedRequest, GetQuarantinedResponse, (ctx, req) => {
    const id = positiveId('id', req.id);
    if (id === 0) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'id is required');
    return getQuarantined(ctx.deps.db, id);
  }),
};
