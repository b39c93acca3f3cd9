import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import type { ReviewRecord, ReviewStateName } from './machine.js';

interface ReviewRow {
  state: ReviewStateName;
  version: number;
  claim_by: string | null;
  claim_expires_at_ms: number | null;
  confirmed_by: string | null;
  linked_by: string | null;
  approved_by: string | null;
  citation_number: string | null;
  issuing_officer: string | null;
  subject_ref: string | null;
}

const opt = (v: string | null): string | undefined => v ?? undefined;

function toRecord(row: ReviewRow): ReviewRecord {
  return {
    state: row.state,
    version: row.version,
    claim: row.claim_by ? { by: row.claim_by, expiresAtMs: Math.round(Number(row.claim_expires_at_ms)) } : undefined,
    confirmedBy: opt(row.confirmed_by),
    linkedBy: opt(row.linked_by),
    approvedBy: opt(row.approved_by),
    reference:
      row.citation_number && row.issuing_officer && row.subject_ref
        ? { citationNumber: row.citation_number, issuingOfficer: row.issuing_officer, subjectRef: row.subject_ref }
        : undefined,
  };
}

async function selectReview(db: Queryable, eventId: string, lock: string): Promise<ReviewRecord> {
  const { rows } = await db.query<ReviewRow>(
    `SELECT state, version, claim_by, (extract(epoch FROM claim_expires_at) * 1000)::float8 AS claim_expires_at_ms,
       confirmed_by, linked_by, approved_by, citation_number, issuing_officer, subject_ref
     FROM reviews WHERE event_id = $1::uuid ${lock}`,
    [eventId],
  );
  if (!rows[0]) throw new CoreError(CoreErrorCode.EVENT_NOT_FOUND, `no event ${eventId}`);
  return toRecord(rows[0]);
}

/** Reads one review and locks its row until the transaction ends. Throws CORE_EVENT_NOT_FOUND. */
export function lockReview(tx: Queryable, eventId: string): Promise<ReviewRecord> {
  return selectReview(tx, eventId, 'FOR UPDATE');
}

/** Reads one review without locking. Throws CORE_EVENT_NOT_FOUND. */
export function readReview(db: Queryable, eventId: string): Promise<ReviewRecord> {
  return selectReview(db, eventId, '');
}

/** Writes `next` if the row still has `previousVersion`; throws CORE_REVIEW_VERSION_CONFLICT otherwise. */
export async function saveReview(
  tx: Queryable,
  eventId: string,
  previousVersion: number,
  next: ReviewRecord,
  nowMs: number,
): Promise<void> {
  if (next.reference) {
    await tx.query('INSERT INTO subjects (subject_ref) VALUES ($1) ON CONFLICT DO NOTHING', [
      next.reference.subjectRef,
    ]);
  }
  const result = await tx.query(
    `UPDATE reviews SET state = $3, version = $4, claim_by = $5,
       claim_expires_at = CASE WHEN $6::float8 IS NULL THEN NULL ELSE to_timestamp($6::float8 / 1000) END,
       confirmed_by = $7, linked_by = $8, approved_by = $9, citation_number = $10, issuing_officer = $11, subject_ref = $12,
       updated_at = to_timestamp($13::float8 / 1000)
     WHERE event_id = $1::uuid AND version = $2`,
    [
      eventId,
      previousVersion,
      next.state,
      next.version,
      next.claim?.by ?? null,
      next.claim?.expiresAtMs ?? null,
      next.confirmedBy ?? null,
      next.linkedBy ?? null,
      next.approvedBy ?? null,
      next.reference?.citationNumber ?? null,
      next.reference?.issuingOfficer ?? null,
      next.reference?.subjectRef ?? null,
      nowMs,
    ],
  );
  if (result.rowCount !== 1) {
    throw new CoreError(
      CoreErrorCode.REVIEW_VERSION_CONFLICT,
      `event ${eventId} changed while you were deciding; reload it`,
    );
  }
}

/** Milliseconds since `actor` first opened this event's evidence; 0 if never. */
export async function evidenceViewedMs(tx: Queryable, eventId: string, actor: string, nowMs: number): Promise<number> {
  const { rows } = await tx.query<{ first_ms: number | null }>(
    `SELECT (extract(epoch FROM min(opened_at)) * 1000)::float8 AS first_ms FROM evidence_views WHERE event_id = $1::uuid AND actor = $2`,
    [eventId, actor],
  );
  const firstMs = rows[0]?.first_ms;
  return firstMs === null || firstMs === undefined ? 0 : Math.max(0, nowMs - Math.round(Number(firstMs)));
}

export async function insertEvidenceView(
  tx: Queryable,
  eventId: string,
  actor: string,
  purpose: string,
  nowMs: number,
): Promise<void> {
  await tx.query(
    'INSERT INTO evidence_views (event_id, actor, purpose, opened_at) VALUES ($1::uuid, $2, $3, to_timestamp($4::float8 / 1000))',
    [eventId, actor, purpose, nowMs],
  );
}

/** One decision with its reason, for agreement figures and the transparency report. */
export async function insertDecision(
  tx: Queryable,
  decision: {
    eventId: string;
    actor: string;
    kind: string;
    reason: string;
    viewedMs: number | undefined;
    nowMs: number;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO review_decisions (event_id, actor, kind, reason_code, evidence_viewed_ms, at)
     VALUES ($1::uuid, $2, $3, $4, $5, to_timestamp($6::float8 / 1000))`,
    [decision.eventId, decision.actor, decision.kind, decision.reason, decision.viewedMs ?? null, decision.nowMs],
  );
}
