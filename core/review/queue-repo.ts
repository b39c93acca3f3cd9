import type { Queryable } from '../db/database.js';
import type { ReviewStateName } from './machine.js';

export type QueueOrderName = 'oldest' | 'newest' | 'confidence';

export interface QueueQuery {
  readonly states: readonly ReviewStateName[];
  readonly limit: number;
  readonly order: QueueOrderName;
  readonly cameraId?: string;
  readonly minConfidence?: number;
  readonly sinceMs?: number;
  readonly untilMs?: number;
  /** Leave out events this person confirmed or linked (they may not take the second review). */
  readonly excludeParticipant?: string;
}

/** One unit of review work as a list shows it. */
export interface QueueRow {
  readonly itemId: string;
  readonly siteId: string;
  readonly cameraId: string;
  readonly occurredAtMs: number;
  readonly confidence: number;
  readonly state: ReviewStateName;
  readonly version: number;
  readonly claimedBy?: string;
  readonly claimExpiresAtMs?: number;
}

interface Row {
  item_id: string;
  site_id: string;
  camera_id: string;
  occurred_at_ms: number;
  confidence: number;
  state: ReviewStateName;
  version: number;
  claim_by: string | null;
  claim_expires_at_ms: number | null;
}

const ORDER_SQL: Record<QueueOrderName, string> = {
  oldest: 'e.occurred_at ASC, e.event_id ASC',
  newest: 'e.occurred_at DESC, e.event_id DESC',
  confidence: 'e.confidence DESC, e.occurred_at ASC',
};

export const QUEUE_COLUMNS = `e.event_id::text AS item_id, e.site_id, e.camera_id,
  (extract(epoch FROM e.occurred_at) * 1000)::float8 AS occurred_at_ms, e.confidence, r.state, r.version, r.claim_by,
  (extract(epoch FROM r.claim_expires_at) * 1000)::float8 AS claim_expires_at_ms`;

export function toQueueRow(row: Row): QueueRow {
  return {
    itemId: row.item_id,
    siteId: row.site_id,
    cameraId: row.camera_id,
    occurredAtMs: Math.round(Number(row.occurred_at_ms)),
    confidence: Number(row.confidence),
    state: row.state,
    version: row.version,
    claimedBy: row.claim_by ?? undefined,
    claimExpiresAtMs: row.claim_expires_at_ms === null ? undefined : Math.round(Number(row.claim_expires_at_ms)),
  };
}

/** Review work in the given states, filtered and ordered. */
export async function listQueue(db: Queryable, query: QueueQuery): Promise<QueueRow[]> {
  const params: unknown[] = [query.limit, query.states];
  const where = ['r.state = ANY($2::text[])'];
  const add = (sql: (n: number) => string, value: unknown): void => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (query.cameraId) add((n) => `e.camera_id = $${n}`, query.cameraId);
  if (query.minConfidence) add((n) => `e.confidence >= $${n}`, query.minConfidence);
  if (query.sinceMs) add((n) => `e.occurred_at >= to_timestamp($${n}::float8 / 1000)`, query.sinceMs);
  if (query.untilMs) add((n) => `e.occurred_at < to_timestamp($${n}::float8 / 1000)`, query.untilMs);
  if (query.excludeParticipant) {
    add(
      (n) => `coalesce(r.confirmed_by, '') <> $${n} AND coalesce(r.linked_by, '') <> $${n}`,
      query.excludeParticipant,
    );
  }
  const { rows } = await db.query<Row>(
    `SELECT ${QUEUE_COLUMNS} FROM events e JOIN reviews r ON r.event_id = e.event_id
     WHERE ${where.join(' AND ')} ORDER BY ${ORDER_SQL[query.order]} LIMIT $1`,
    params,
  );
  return rows.map(toQueueRow);
}

/** One event's queue row. */
export async function queueRowOf(db: Queryable, eventId: string): Promise<QueueRow | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT ${QUEUE_COLUMNS} FROM events e JOIN reviews r ON r.event_id = e.event_id WHERE e.event_id = $1::uuid`,
    [eventId],
  );
  return rows[0] ? toQueueRow(rows[0]) : undefined;
}
