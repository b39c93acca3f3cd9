import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';

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
 * A report holds at most this many rows (about 2.5 MB as protobuf): the reply stays under the
 * gRPC message limit and turning rows into the reply stays short on the event loop.
 */
export const MAX_REPORT_ROWS = 40_000;

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
 * the number of events; months are summed from their days. Throws INVALID_ARGUMENT when the
 * report would hold more than `maxRows` rows.
 */
export async function transparencyReport(
  db: Queryable,
  sinceMs: number,
  untilMs: number,
  unit: PeriodUnit,
  maxRows = MAX_REPORT_ROWS,
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
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 LIMIT $3`,
    [isoDay(fromMs), isoDay(toMs), maxRows + 1],
  );
  if (rows.length > maxRows)
    throw new CoreError(
      CoreErrorCode.INVALID_ARGUMENT,
      `the report for this period holds more than ${maxRows} rows: ask for months, or a shorter period`,
    );
  return rows.map((r) => ({
    periodStartMs: Math.round(Number(r.period_ms)),
    cameraId: r.camera_id,
    stage: r.stage,
    reasonCode: r.reason_code,
    count: Number(r.n),
  }));
}
