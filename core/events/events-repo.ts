import { ENTRY_INFRACTION_KIND, InfractionEvent, ReviewState } from '../../proto/index.js';
import type { EventSummary } from '../../proto/index.js';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { reserveAuditSeqsSql } from '../audit/audit-repo.js';

const REVIEW_STATES: Record<string, ReviewState> = {
  received: ReviewState.REVIEW_STATE_RECEIVED,
  queued: ReviewState.REVIEW_STATE_QUEUED,
  in_review: ReviewState.REVIEW_STATE_IN_REVIEW,
  rejected: ReviewState.REVIEW_STATE_REJECTED,
  confirmed: ReviewState.REVIEW_STATE_CONFIRMED,
  linked: ReviewState.REVIEW_STATE_LINKED,
  approved: ReviewState.REVIEW_STATE_APPROVED,
  closed: ReviewState.REVIEW_STATE_CLOSED,
  appealed: ReviewState.REVIEW_STATE_APPEALED,
  upheld: ReviewState.REVIEW_STATE_UPHELD,
  denied: ReviewState.REVIEW_STATE_DENIED,
  expired: ReviewState.REVIEW_STATE_EXPIRED,
};

export function reviewStateOf(text: string): ReviewState {
  return REVIEW_STATES[text] ?? ReviewState.REVIEW_STATE_UNSPECIFIED;
}

const EVENT_COLUMNS = `event_id, device_id, site_id, camera_id, camera_seq, occurred_at, zone_id, zone_version,
  signal_state, ms_since_steady_dont_walk, confidence, evidence_count, stream_seq, payload, infraction_kind,
  signature_key_id`;

/** An event to store: the bytes as received (what the device signed) when there are any, else its encoding. */
export interface EventToStore {
  readonly event: InfractionEvent;
  readonly streamSeq: number;
  readonly signatureKeyId?: string;
  readonly payload?: Uint8Array;
}

/** Bytes as hex text, decoded in SQL: array parameters of text cost both drivers least. */
function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * The events as one array per column (EVENT_ROWS turns them back into rows): a batch
 * is one statement of 16 parameters whatever its size (a VALUES list of 16 parameters a row
 * took PGlite twice as long to parse and plan as the rows took to insert).
 */
function eventColumns(items: readonly EventToStore[]): unknown[][] {
  const column = <T>(f: (item: EventToStore) => T): T[] => items.map(f);
  return [
    column((i) => i.event.eventId),
    column((i) => i.event.deviceId),
    column((i) => i.event.siteId),
    column((i) => i.event.cameraId),
    column((i) => i.event.cameraSeq),
    column((i) => i.event.occurredAtMs),
    column((i) => i.event.zoneId),
    column((i) => i.event.zoneVersion),
    column((i) => i.event.signal?.state ?? 0),
    column((i) => i.event.signal?.msSinceSteadyDontWalk ?? 0),
    column((i) => i.event.confidence?.value ?? 0),
    column((i) => i.event.evidence.length),
    column((i) => i.streamSeq),
    column((i) => hexOf(i.payload ?? InfractionEvent.encode(i.event).finish())),
    column((i) => i.event.infractionKind || ENTRY_INFRACTION_KIND),
    column((i) => i.signatureKeyId ?? null),
  ];
}

const EVENT_ROWS = `SELECT id, device, site, camera, camera_seq, to_timestamp(occurred_ms / 1000), zone, zone_version,
    signal_state, ms_since, confidence, evidence_count, stream_seq, decode(payload_hex, 'hex'), kind, key_id
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::float8[], $7::text[], $8::int[],
    $9::smallint[], $10::bigint[], $11::real[], $12::int[], $13::bigint[], $14::text[], $15::text[], $16::text[])
  AS u (id, device, site, camera, camera_seq, occurred_ms, zone, zone_version, signal_state, ms_since, confidence,
    evidence_count, stream_seq, payload_hex, kind, key_id)`;

/** The first item of each key, in order (a batch may hold the same event twice). */
export function firstOfEach<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(key(item)) && (seen.add(key(item)), true));
}

/** The review state a new event starts in: held out of review when enforcement was suspended. */
function initialReviewState(event: InfractionEvent): 'received' | 'queued' {
  // An event decided while the camera's enforcement was suspended is kept for the trail,
  // but never queued for review: no penalty can follow from it.
  return event.enforcement?.suspended ? 'received' : 'queued';
}

function insertEventsSql(thenSelect: string): string {
  return `WITH ins AS (
       INSERT INTO events (${EVENT_COLUMNS}) ${EVENT_ROWS}
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id, occurred_at, evidence_count
     ), rev AS (
       INSERT INTO reviews (event_id, state, version, event_occurred_at, evidence_pending)
       SELECT ins.event_id, v.state, 1, ins.occurred_at, ins.evidence_count > 0
       FROM ins JOIN unnest($17::uuid[], $18::text[]) AS v (event_id, state) USING (event_id)
     )${thenSelect}`;
}

function insertEventsParams(items: readonly EventToStore[]): unknown[] {
  // A batch holding an event twice inserts it once; its review state comes from its first copy.
  const unique = firstOfEach(items, (i) => i.event.eventId);
  return [...eventColumns(items), unique.map((i) => i.event.eventId), unique.map((i) => initialReviewState(i.event))];
}

/**
 * Inserts events once each, with their reviews queued (or held, when enforcement was
 * suspended); an event id already stored changes nothing. Returns the ids that were new. Run
 * it in a transaction so all rows land together. Throws on a camera sequence conflict.
 */
export async function insertEvents(db: Queryable, items: readonly EventToStore[]): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const result = await db.query<{ event_id: string }>(
    insertEventsSql(' SELECT event_id FROM ins'),
    insertEventsParams(items),
  );
  return new Set(result.rows.map((r) => r.event_id));
}

/**
 * {@link insertEvents}, and in the same statement the audit sequence numbers for one entry
 * per new event (the caller appends them with insertAuditEntries in this transaction).
 */
export async function insertEventsReservingAudit(
  tx: Queryable,
  items: readonly EventToStore[],
): Promise<{ inserted: Set<string>; firstAuditSeq: number }> {
  const result = await tx.query<{ event_id: string | null; first_seq: string | number }>(
    insertEventsSql(`, head AS (${reserveAuditSeqsSql('SELECT count(*) FROM ins')})
     SELECT ins.event_id, head.first_seq FROM head LEFT JOIN ins ON true`),
    insertEventsParams(items),
  );
  return {
    inserted: new Set(result.rows.flatMap((r) => (r.event_id === null ? [] : [r.event_id]))),
    firstAuditSeq: Number(result.rows[0]!.first_seq),
  };
}

/** Inserts one event once (see {@link insertEvents}). Returns whether it was new. */
export async function insertEvent(
  db: Queryable,
  event: InfractionEvent,
  streamSeq: number,
  signatureKeyId?: string,
): Promise<boolean> {
  return (await insertEvents(db, [{ event, streamSeq, signatureKeyId }])).has(event.eventId);
}

export interface QuarantineEntry {
  readonly streamSeq: number;
  readonly subject: string;
  readonly reasonCode: string;
  readonly reason: string;
  readonly payload: Uint8Array;
}

/** Keeps a refused message; a redelivery of the same stream message changes nothing. Returns whether it was new. */
export async function insertQuarantine(db: Queryable, entry: QuarantineEntry): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO quarantine (stream_seq, subject, reason_code, reason, payload) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (stream_seq) DO NOTHING`,
    [entry.streamSeq, entry.subject, entry.reasonCode, entry.reason, entry.payload],
  );
  return result.rowCount === 1;
}

interface SummaryRow {
  event_id: string;
  device_id: string;
  site_id: string;
  camera_id: string;
  camera_seq: string | number;
  occurred_at_ms: string | number;
  received_at_ms: string | number;
  zone_id: string;
  signal_state: number;
  ms_since_steady_dont_walk: string | number;
  confidence: number;
  evidence_count: number;
  review_state: string;
}

const SUMMARY_COLUMNS = `e.event_id::text AS event_id, e.device_id, e.site_id, e.camera_id, e.camera_seq,
  (extract(epoch FROM e.occurred_at) * 1000)::float8 AS occurred_at_ms,
  (extract(epoch FROM e.received_at) * 1000)::float8 AS received_at_ms,
  e.zone_id, e.signal_state, e.ms_since_steady_dont_walk, e.confidence, e.evidence_count, r.state AS review_state`;

const FROM_EVENTS = 'events e JOIN reviews r ON r.event_id = e.event_id';

function toSummary(row: SummaryRow): EventSummary {
  return {
    eventId: row.event_id,
    deviceId: row.device_id,
    siteId: row.site_id,
    cameraId: row.camera_id,
    cameraSeq: Number(row.camera_seq),
    occurredAtMs: Math.round(Number(row.occurred_at_ms)),
    receivedAtMs: Math.round(Number(row.received_at_ms)),
    zoneId: row.zone_id,
    signalState: row.signal_state,
    msSinceSteadyDontWalk: Number(row.ms_since_steady_dont_walk),
    confidence: row.confidence,
    evidenceCount: row.evidence_count,
    reviewState: reviewStateOf(row.review_state),
  };
}

/** Keyset position of a page: the last row's occurred-at and event id. */
export interface PageCursor {
  readonly occurredAtMs: number;
  readonly eventId: string;
}

export interface ListEventsQuery {
  readonly limit: number;
  readonly after?: PageCursor;
  readonly cameraId?: string;
}

/** Events newest first, `limit` at most. */
export async function listEvents(db: Queryable, query: ListEventsQuery): Promise<EventSummary[]> {
  const params: unknown[] = [query.limit];
  const where: string[] = [];
  if (query.cameraId) {
    params.push(query.cameraId);
    where.push(`e.camera_id = $${params.length}`);
  }
  if (query.after) {
    params.push(query.after.occurredAtMs, query.after.eventId);
    where.push(
      `(e.occurred_at, e.event_id) < (to_timestamp($${params.length - 1}::float8 / 1000), $${params.length}::uuid)`,
    );
  }
  const sql = `SELECT ${SUMMARY_COLUMNS} FROM ${FROM_EVENTS} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT $1`;
  return (await db.query<SummaryRow>(sql, params)).rows.map(toSummary);
}

export interface StoredEvent {
  readonly event: InfractionEvent;
  readonly reviewState: ReviewState;
  readonly receivedAtMs: number;
  readonly streamSeq: number;
  /** The registered key the signature was verified against at ingest; '' if none. */
  readonly signatureKeyId: string;
}

/** One event with its full contract. Throws CORE_EVENT_NOT_FOUND. */
export async function getEvent(db: Queryable, eventId: string): Promise<StoredEvent> {
  const { rows } = await db.query<{
    payload: Uint8Array;
    review_state: string;
    received_at_ms: number;
    stream_seq: string | number;
    signature_key_id: string | null;
  }>(
    `SELECT e.payload, r.state AS review_state, (extract(epoch FROM e.received_at) * 1000)::float8 AS received_at_ms, e.stream_seq,
       e.signature_key_id
     FROM ${FROM_EVENTS} WHERE e.event_id = $1::uuid`,
    [eventId],
  );
  const row = rows[0];
  if (!row) throw new CoreError(CoreErrorCode.EVENT_NOT_FOUND, `no event ${eventId}`);
  let event: InfractionEvent;
  try {
    event = InfractionEvent.decode(row.payload);
  } catch (err) {
    throw new CoreError(CoreErrorCode.DATA_CORRUPT, `stored payload of event ${eventId} does not decode`, {
      cause: err,
    });
  }
  return {
    event,
    reviewState: reviewStateOf(row.review_state),
    receivedAtMs: Math.round(Number(row.received_at_ms)),
    streamSeq: Number(row.stream_seq),
    signatureKeyId: row.signature_key_id ?? '',
  };
}

/** Number of stored events (for health and tests). */
export async function countEvents(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM events');
  return Number(rows[0]?.n ?? 0);
}
