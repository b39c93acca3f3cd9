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

const DAY_MS = 86_400_000;

/**
 * The whole UTC days a report over [sinceMs, untilMs) covers: from the start of the day holding
 * sinceMs to the end of the day holding the last instant before untilMs.
 */
export function reportDays(sinceMs: number, untilMs: number): { fromMs: number; toMs: number } {
  return { fromMs: Math.floor(sinceMs / DAY_MS) * DAY_MS, toMs: Math.ceil(untilMs / DAY_MS) * DAY_MS };
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Counts per period (UTC), camera, stage and reason over the whole UTC days of [sinceMs, untilMs)
 * (see {@link reportDays}): events received, every decision by its reason, and the candidates the
 * edge rejected before sending anything. Reads only the day counters the database keeps as rows
 * are written (migration 0013), so its cost follows the days and cameras of the period, never
 * the number of events; months are summed from their days.
 */
export async function transparencyReport(
  db: Queryable,
  sinceMs: number,
  untilMs: number,
  unit: PeriodUnit,
): Promise<TransparencyCount[]> {
  const { fromMs, toMs } = reportDays(sinceMs, untilMs);
  const { rows } = await db.query<{
    period_ms: number;
    camera_id: string;
    stage: string;
    reason_code: string;
    n: string | number;
  }>(
    `SELECT (extract(epoch FROM date_trunc('${unit}', day::timestamp)) * 1000)::float8 AS period_ms,
       camera_id, stage, reason_code, sum(n) AS n
     FROM report_counts WHERE day >= $1::date AND day < $2::date AND source_rows > 0
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    [isoDay(fromMs), isoDay(toMs)],
  );
  return rows.map((r) => ({
    periodStartMs: Math.round(Number(r.period_ms)),
    cameraId: r.camera_id,
    stage: r.stage,
    reasonCode: r.reason_code,
    count: Number(r.n),
  }));
}
