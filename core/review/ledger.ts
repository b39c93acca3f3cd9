import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';

export interface LedgerPolicy {
  /** Points every subject starts with. */
  readonly baselinePoints: number;
  /** Points one approved infraction deducts, per infraction kind. */
  readonly pointsByKind: Readonly<Record<string, number>>;
  /** A deduction stops counting after this long. */
  readonly deductionTtlMs: number;
  /** A deduction whose deciders one admin created or enrolled within this long is flagged. */
  readonly sameAdminWindowMs?: number;
}

/**
 * Records a deduction and returns its points and expiry. The (event_id, kind) unique key makes
 * a second one impossible.
 */
export async function deductPoints(
  tx: Queryable,
  eventId: string,
  subjectRef: string,
  policy: LedgerPolicy,
  nowMs: number,
): Promise<{ points: number; expiresAtMs: number; infractionKind: string }> {
  const { rows } = await tx.query<{ infraction_kind: string }>(
    'SELECT infraction_kind FROM events WHERE event_id = $1::uuid',
    [eventId],
  );
  const infractionKind = rows[0]?.infraction_kind ?? '';
  const points = Object.hasOwn(policy.pointsByKind, infractionKind) ? policy.pointsByKind[infractionKind] : undefined;
  if (points === undefined) {
    throw new CoreError(
      CoreErrorCode.REVIEW_INVALID_TRANSITION,
      `ledger.pointsByKind has no entry for "${infractionKind}"; an admin must configure it before approval`,
    );
  }
  await tx.query(
    `INSERT INTO ledger_entries (subject_ref, event_id, kind, points, at, expires_at)
     VALUES ($1, $2::uuid, 'deduction', $3, to_timestamp($4::float8 / 1000), to_timestamp($5::float8 / 1000))`,
    [subjectRef, eventId, -points, nowMs, nowMs + policy.deductionTtlMs],
  );
  return { points, expiresAtMs: nowMs + policy.deductionTtlMs, infractionKind };
}

/** Records the reversal of an event's deduction (the same points, given back); returns the points. */
export async function reversePoints(tx: Queryable, eventId: string, nowMs: number): Promise<number> {
  const { rows } = await tx.query<{ points: number }>(
    `INSERT INTO ledger_entries (subject_ref, event_id, kind, points, at)
     SELECT subject_ref, event_id, 'reversal', -points, to_timestamp($2::float8 / 1000)
     FROM ledger_entries WHERE event_id = $1::uuid AND kind = 'deduction' RETURNING points`,
    [eventId, nowMs],
  );
  return rows[0]?.points ?? 0;
}

export interface LedgerMovement {
  readonly eventId: string;
  readonly kind: 'deduction' | 'reversal';
  readonly points: number;
  readonly atMs: number;
  readonly expiresAtMs?: number;
  /** Why auditors should look at it ("same_admin:<admin>"), or "". */
  readonly auditFlag: string;
}

/** Marks an event's deduction for audit; it still counts. */
export async function flagDeduction(tx: Queryable, eventId: string, flag: string): Promise<void> {
  await tx.query("UPDATE ledger_entries SET audit_flag = $2 WHERE event_id = $1::uuid AND kind = 'deduction'", [
    eventId,
    flag,
  ]);
}

/** Every movement on a subject's balance, oldest first. */
export async function movementsOf(db: Queryable, subjectRef: string): Promise<LedgerMovement[]> {
  const { rows } = await db.query<{
    event_id: string;
    kind: 'deduction' | 'reversal';
    points: number;
    at_ms: number;
    expires_at_ms: number | null;
    audit_flag: string | null;
  }>(
    `SELECT event_id::text AS event_id, kind, points, (extract(epoch FROM at) * 1000)::float8 AS at_ms,
       (extract(epoch FROM expires_at) * 1000)::float8 AS expires_at_ms, audit_flag
     FROM ledger_entries WHERE subject_ref = $1 ORDER BY at, id`,
    [subjectRef],
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    kind: r.kind,
    points: r.points,
    atMs: Math.round(Number(r.at_ms)),
    expiresAtMs: r.expires_at_ms === null ? undefined : Math.round(Number(r.expires_at_ms)),
    auditFlag: r.audit_flag ?? '',
  }));
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
