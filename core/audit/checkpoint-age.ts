import type { Queryable } from '../db/database.js';

/** How far the signed checkpoints lag behind the audit log. */
export interface CheckpointLag {
  /** Entries in the log. */
  readonly logSize: number;
  /** Entries the newest checkpoint covers (its tree size; 0 with none). */
  readonly coveredSize: number;
  /** When the newest checkpoint was signed; undefined with none. */
  readonly checkpointAtMs?: number;
  /** When the oldest entry no checkpoint covers was appended; undefined when all are covered. */
  readonly oldestUncoveredAtMs?: number;
}

/**
 * Reads the lag with primary-key lookups only (audit_head, the newest checkpoint by tree
 * size, the first uncovered entry by seq): the same cost at any log size.
 */
export const CHECKPOINT_LAG_SQL = `WITH newest AS (SELECT tree_size, at FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1)
SELECT h.next_seq AS log_size, (SELECT tree_size FROM newest) AS covered,
  (SELECT extract(epoch FROM at) * 1000 FROM newest)::float8 AS checkpoint_at_ms,
  (SELECT extract(epoch FROM l.at) * 1000 FROM audit_log l
    WHERE l.seq = coalesce((SELECT tree_size FROM newest), 0))::float8 AS uncovered_at_ms
FROM audit_head h`;

export async function readCheckpointLag(db: Queryable): Promise<CheckpointLag> {
  const { rows } = await db.query<{
    log_size: string | number;
    covered: string | number | null;
    checkpoint_at_ms: number | null;
    uncovered_at_ms: number | null;
  }>(CHECKPOINT_LAG_SQL);
  const row = rows[0];
  if (!row) return { logSize: 0, coveredSize: 0 };
  const logSize = Number(row.log_size);
  const coveredSize = Number(row.covered ?? 0);
  return {
    logSize,
    coveredSize,
    checkpointAtMs: row.checkpoint_at_ms === null ? undefined : Number(row.checkpoint_at_ms),
    oldestUncoveredAtMs:
      logSize > coveredSize && row.uncovered_at_ms !== null ? Number(row.uncovered_at_ms) : undefined,
  };
}

/** How long the oldest uncovered entry has waited for a checkpoint; 0 when all are covered. Pure. */
export function uncoveredAgeMs(lag: CheckpointLag, nowMs: number): number {
  return lag.oldestUncoveredAtMs === undefined ? 0 : Math.max(0, nowMs - lag.oldestUncoveredAtMs);
}

/**
 * Stale when an entry has waited for a checkpoint longer than the interval plus slack: the
 * signer is not signing (a log that does not grow needs no new checkpoint). Pure.
 */
export function isCheckpointStale(
  lag: CheckpointLag,
  nowMs: number,
  limits: { intervalMs: number; slackMs: number },
): boolean {
  return uncoveredAgeMs(lag, nowMs) > limits.intervalMs + limits.slackMs;
}
