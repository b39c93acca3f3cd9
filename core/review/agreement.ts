import type { Queryable } from '../db/database.js';

export interface ReviewerFigures {
  readonly reviewerId: string;
  readonly knownAnswers: number;
  readonly knownAnswersAgreed: number;
  readonly confirmations: number;
  readonly confirmationsApproved: number;
  readonly confirmationsDenied: number;
  readonly rejections: number;
  readonly medianDecisionMs: number;
}

/**
 * Per-reviewer agreement over decisions taken in [sinceMs, untilMs): known answers and how
 * many matched, how second reviewers ruled on their confirmations, and the median time the
 * evidence was open before a first decision (a rubber-stamp signal).
 *
 * A confirmation counts only once its second review is over (approved or denied). While it
 * waits, it is in no figure at all: otherwise a supervisor could read who confirmed an item
 * by comparing the figures before and after it entered the second-review queue.
 */
export async function reviewerAgreement(db: Queryable, sinceMs: number, untilMs: number): Promise<ReviewerFigures[]> {
  const { rows } = await db.query<{
    reviewer: string;
    known: string | number;
    agreed: string | number;
    confirmations: string | number;
    approved: string | number;
    denied: string | number;
    rejections: string | number;
    median_ms: number | null;
  }>(
    `WITH span AS (SELECT to_timestamp($1::float8 / 1000) AS since, to_timestamp($2::float8 / 1000) AS until),
     second AS (SELECT event_id, kind FROM review_decisions WHERE kind IN ('approve', 'deny')),
     first AS (
       SELECT d.* FROM review_decisions d, span WHERE d.at >= span.since AND d.at < span.until
         AND (d.kind = 'reject' OR (d.kind = 'confirm' AND EXISTS (SELECT 1 FROM second s WHERE s.event_id = d.event_id)))
     ),
     ka AS (
       SELECT a.reviewer, count(*) AS known, count(*) FILTER (WHERE a.agreed) AS agreed
       FROM known_answer_results a, span WHERE a.at >= span.since AND a.at < span.until GROUP BY a.reviewer
     ),
     fd AS (
       SELECT f.actor AS reviewer,
         count(*) FILTER (WHERE f.kind = 'confirm') AS confirmations,
         count(*) FILTER (WHERE f.kind = 'confirm' AND s.kind = 'approve') AS approved,
         count(*) FILTER (WHERE f.kind = 'confirm' AND s.kind = 'deny') AS denied,
         count(*) FILTER (WHERE f.kind = 'reject') AS rejections,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY f.evidence_viewed_ms) AS median_ms
       FROM first f LEFT JOIN second s ON s.event_id = f.event_id GROUP BY f.actor
     )
     SELECT coalesce(fd.reviewer, ka.reviewer) AS reviewer, coalesce(ka.known, 0) AS known, coalesce(ka.agreed, 0) AS agreed,
       coalesce(fd.confirmations, 0) AS confirmations, coalesce(fd.approved, 0) AS approved,
       coalesce(fd.denied, 0) AS denied, coalesce(fd.rejections, 0) AS rejections, fd.median_ms
     FROM fd FULL JOIN ka ON ka.reviewer = fd.reviewer ORDER BY 1`,
    [sinceMs, untilMs],
  );
  return rows.map((r) => ({
    reviewerId: r.reviewer,
    knownAnswers: Number(r.known),
    knownAnswersAgreed: Number(r.agreed),
    confirmations: Number(r.confirmations),
    confirmationsApproved: Number(r.approved),
    confirmationsDenied: Number(r.denied),
    rejections: Number(r.rejections),
    medianDecisionMs: r.median_ms === null ? 0 : Math.round(Number(r.median_ms)),
  }));
}
