import type { Queryable } from '../db/database.js';

/**
 * The states of review work waiting for a person: exactly the partial index
 * reviews_open_by_capture's, so both queries below read that index only.
 */
const OPEN_STATES_SQL = `state IN ('received', 'queued', 'in_review', 'confirmed', 'linked')`;

/** Depth counts stop here: the cost of the count is bounded, not the backlog's size. */
export const QUEUE_COUNT_CAP = 10_000;

export interface QueueAge {
  /** Open review items, at most QUEUE_COUNT_CAP. */
  readonly items: number;
  /** Capture time of the oldest open item; undefined when the queue is empty. */
  readonly oldestAtMs?: number;
}

/** The oldest open item's capture time (one row from the index) and the depth (capped). */
export const QUEUE_AGE_SQL = `SELECT
  (SELECT extract(epoch FROM event_occurred_at) * 1000 FROM reviews WHERE ${OPEN_STATES_SQL}
    ORDER BY event_occurred_at LIMIT 1)::float8 AS oldest_ms,
  (SELECT count(*) FROM (SELECT 1 FROM reviews WHERE ${OPEN_STATES_SQL} LIMIT ${QUEUE_COUNT_CAP}) c) AS items`;

export async function readQueueAge(db: Queryable): Promise<QueueAge> {
  const { rows } = await db.query<{ oldest_ms: number | null; items: string | number }>(QUEUE_AGE_SQL);
  const row = rows[0]!;
  return { items: Number(row.items), oldestAtMs: row.oldest_ms === null ? undefined : Number(row.oldest_ms) };
}

/** The oldest open item's age (from its capture: the legal clock starts at the offence); 0 when empty. Pure. */
export function oldestItemAgeMs(queue: QueueAge, nowMs: number): number {
  return queue.oldestAtMs === undefined ? 0 : Math.max(0, nowMs - queue.oldestAtMs);
}
