import type { Queryable } from '../db/database.js';

/** The default for ledger.sameAdminWindowMs: 30 days. */
export const SAME_ADMIN_WINDOW_MS = 30 * 86_400_000;

/**
 * The admin who created, or issued a redeemed enrolment code to, both deciders within
 * `windowMs` before `nowMs`; undefined when there is none. Such a deduction may be one admin
 * acting as two people, so it is flagged for audit.
 */
export async function sameAdminOf(
  db: Queryable,
  deciders: readonly [string, string],
  nowMs: number,
  windowMs: number,
): Promise<string | undefined> {
  if (deciders[0] === deciders[1]) return undefined;
  const { rows } = await db.query<{ admin: string }>(
    `WITH acts AS (
       SELECT user_id, created_by AS admin, created_at AS at FROM users
       WHERE user_id = ANY($1::text[]) AND created_by IS NOT NULL
       UNION ALL
       SELECT user_id, issued_by, issued_at FROM enrolment_codes
       WHERE user_id = ANY($1::text[]) AND used_at IS NOT NULL
     ), recent AS (
       SELECT * FROM acts WHERE at >= to_timestamp(($2::float8 - $3::float8) / 1000)
     )
     SELECT a.admin FROM recent a JOIN recent b ON a.admin = b.admin
     WHERE a.user_id = $4 AND b.user_id = $5 ORDER BY a.admin LIMIT 1`,
    [[...deciders], nowMs, windowMs, deciders[0], deciders[1]],
  );
  return rows[0]?.admin;
}
