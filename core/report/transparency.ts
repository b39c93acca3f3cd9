import type { Queryable } from '../db/database.js';

export type PeriodUnit = 'day' | 'month';

export interface TransparencyCount {
  readonly periodStartMs: number;
  readonly cameraId: string;
  /** "machine_rejected", "received", or what a decision did: "rejected", "confirmed", "approved", … */
  readonly stage: string;
  readonly reasonCode: string;
  readonly count: number;
}

/** The stage each decision kind reports as. */
const STAGE_OF_DECISION = `CASE d.kind WHEN 'confirm' THEN 'confirmed' WHEN 'reject' THEN 'rejected'
  WHEN 'approve' THEN 'approved' WHEN 'deny' THEN 'denied_at_second_review' WHEN 'appeal' THEN 'appealed'
  WHEN 'uphold_appeal' THEN 'appeal_upheld' WHEN 'deny_appeal' THEN 'appeal_denied' ELSE 'expired' END`;

/**
 * Counts per period (UTC), camera, stage and reason over [sinceMs, untilMs): events received,
 * every decision by its reason, and the candidates the edge rejected before sending anything.
 */
export async function transparencyReport(
  db: Queryable,
  sinceMs: number,
  untilMs: number,
  unit: PeriodUnit,
): Promise<TransparencyCount[]> {
  const bucket = (column: string): string =>
    `(extract(epoch FROM date_trunc('${unit}', ${column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') * 1000)::float8`;
  const { rows } = await db.query<{
    period_ms: number;
    camera_id: string;
    stage: string;
    reason_code: string;
    n: string | number;
  }>(
    `WITH span AS (SELECT to_timestamp($1::float8 / 1000) AS since, to_timestamp($2::float8 / 1000) AS until)
     SELECT ${bucket('e.received_at')} AS period_ms, e.camera_id, 'received' AS stage, '' AS reason_code, count(*) AS n
       FROM events e, span WHERE e.received_at >= span.since AND e.received_at < span.until GROUP BY 1, 2
     UNION ALL
     SELECT ${bucket('d.at')}, e.camera_id, ${STAGE_OF_DECISION}, d.reason_code, count(*)
       FROM review_decisions d JOIN events e ON e.event_id = d.event_id, span
       WHERE d.at >= span.since AND d.at < span.until GROUP BY 1, 2, 3, 4
     UNION ALL
     SELECT ${bucket('m.hour_start')}, m.camera_id, 'machine_rejected', m.reason_code, sum(m.count)
       FROM machine_rejections m, span WHERE m.hour_start >= span.since AND m.hour_start < span.until GROUP BY 1, 2, 4
     ORDER BY 1, 2, 3, 4`,
    [sinceMs, untilMs],
  );
  return rows.map((r) => ({
    periodStartMs: Math.round(Number(r.period_ms)),
    cameraId: r.camera_id,
    stage: r.stage,
    reasonCode: r.reason_code,
    count: Number(r.n),
  }));
}
