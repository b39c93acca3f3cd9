import type { Queryable } from '../db/database.js';

export interface LedgerPolicy {
  /** Points every subject starts with. */
  readonly baselinePoints: number;
  /** Points one approved infraction deducts. */
  readonly pointsPerInfraction: number;
  /** A deduction stops counting after this long. */
  readonly deductionTtlMs: number;
}

/** Records a deduction. The (event_id, kind) unique key makes a second one impossible. */
export async function deductPoints(
  tx: Queryable,
  eventId: string,
  subjectRef: string,
  policy: LedgerPolicy,
  nowMs: number,
): Promise<void> {
  await tx.query(
    `INSERT INTO ledger_entries (subject_ref, event_id, kind, points, at, expires_at)
     VALUES ($1, $2::uuid, 'deduction', $3, to_timestamp($4::float8 / 1000), to_timestamp($5::float8 / 1000))`,
    [subjectRef, eventId, -policy.pointsPerInfraction, nowMs, nowMs + policy.deductionTtlMs],
  );
}

/** Records the reversal of an event's deduction (the same points, given back). */
export async function reversePoints(tx: Queryable, eventId: string, nowMs: number): Promise<void> {
  await tx.query(
    `INSERT INTO ledger_entries (subject_ref, event_id, kind, points, at)
     SELECT subject_ref, event_id, 'reversal', -points, to_timestamp($2::float8 / 1000)
     FROM ledger_entries WHERE event_id = $1::uuid AND kind = 'deduction'`,
    [eventId, nowMs],
  );
}

/** Balance: the baseline less every deduction that has not expired and was not reversed. */
export async function balanceOf(
  db: Queryable,
  subjectRef: string,
  policy: LedgerPolicy,
  nowMs: number,
): Promise<number> {
  const { rows } = await db.query<{ deducted: string | number | null }>(
    `SELECT coalesce(sum(-d.points), 0) AS deducted FROM ledger_entries d
     WHERE d.subject_ref = $1 AND d.kind = 'deduction' AND d.expires_at > to_timestamp($2::float8 / 1000)
       AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.event_id = d.event_id AND r.kind = 'reversal')`,
    [subjectRef, nowMs],
  );
  return policy.baselinePoints - Number(rows[0]?.deducted ?? 0);
}
