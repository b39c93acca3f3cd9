import { randomUUID } from 'node:crypto';
import { appendAudit } from '../audit/audit-repo.js';
import type { Database, Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import type { ReviewPolicy } from './machine.js';
import type { QueueRow } from './queue-repo.js';
import { QUEUE_COLUMNS, toQueueRow } from './queue-repo.js';
import { CONFIRM_REASONS, REJECT_REASONS, isReason } from './reasons.js';
import { evidenceViewedMs, lockReview } from './review-repo.js';

export type FirstDecision = 'confirm' | 'reject';

/** A decided event shown again as first-review work, with the answer a careful reviewer gives. */
export interface KnownAnswer {
  readonly itemId: string;
  readonly sourceEventId: string;
  readonly expected: FirstDecision;
}

/** States whose outcome is settled enough to teach from. */
const DECIDED_STATES = new Set(['rejected', 'approved', 'closed', 'appealed', 'upheld', 'denied']);

export async function seedKnownAnswer(
  db: Database,
  sourceEventId: string,
  expected: FirstDecision,
  actor: string,
  nowMs: number,
): Promise<KnownAnswer> {
  return db.transaction(async (tx) => {
    const source = await lockReview(tx, sourceEventId);
    if (!DECIDED_STATES.has(source.state)) {
      throw new CoreError(
        CoreErrorCode.REVIEW_INVALID_TRANSITION,
        `event ${sourceEventId} is ${source.state}; seed known answers only from decided events`,
      );
    }
    const item: KnownAnswer = { itemId: randomUUID(), sourceEventId, expected };
    await tx.query(
      `INSERT INTO known_answers (item_id, source_event_id, expected_decision, created_by, created_at)
       VALUES ($1::uuid, $2::uuid, $3, $4, to_timestamp($5::float8 / 1000))`,
      [item.itemId, sourceEventId, expected, actor, nowMs],
    );
    await appendAudit(tx, {
      atMs: nowMs,
      actor,
      action: 'review.known_answer_seeded',
      subject: item.itemId,
      details: { sourceEventId, expected },
    });
    return item;
  });
}

export async function findKnownAnswer(db: Queryable, itemId: string): Promise<KnownAnswer | undefined> {
  const { rows } = await db.query<{ source_event_id: string; expected_decision: FirstDecision }>(
    'SELECT source_event_id::text AS source_event_id, expected_decision FROM known_answers WHERE item_id = $1::uuid',
    [itemId],
  );
  const row = rows[0];
  return row ? { itemId, sourceEventId: row.source_event_id, expected: row.expected_decision } : undefined;
}

export async function hasAnswered(db: Queryable, itemId: string, reviewer: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM known_answer_results WHERE item_id = $1::uuid AND reviewer = $2', [
    itemId,
    reviewer,
  ]);
  return rows.length > 0;
}

/**
 * Known-answer items this reviewer has not answered, as queue rows that look like fresh work,
 * when the reviewer's known-answer share has fallen below `share`; otherwise none.
 */
export async function knownAnswersDue(
  db: Queryable,
  reviewer: string,
  share: number,
  limit: number,
): Promise<QueueRow[]> {
  if (share <= 0) return [];
  // Most of the time there are none; this check costs far less than the search below.
  const { rows: any } = await db.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM known_answers) AS found');
  if (!any[0]?.found) return [];
  const candidates = await unansweredItems(db, reviewer, limit);
  if (candidates.length === 0) return [];
  const { rows: counts } = await db.query<{ answered: string | number; decided: string | number }>(
    `SELECT (SELECT count(*) FROM known_answer_results WHERE reviewer = $1) AS answered,
       (SELECT count(*) FROM review_decisions WHERE actor = $1 AND kind IN ('confirm', 'reject')) AS decided`,
    [reviewer],
  );
  const answered = Number(counts[0]?.answered ?? 0);
  const decided = Number(counts[0]?.decided ?? 0);
  return answered >= share * (answered + decided + 1) ? [] : candidates;
}

/** Known-answer items this reviewer has not answered and has not decided the source of. */
async function unansweredItems(db: Queryable, reviewer: string, limit: number): Promise<QueueRow[]> {
  const { rows } = await db.query<Parameters<typeof toQueueRow>[0]>(
    `SELECT ${QUEUE_COLUMNS.replace('e.event_id::text AS item_id', 'k.item_id::text AS item_id')}
     FROM known_answers k JOIN events e ON e.event_id = k.source_event_id JOIN reviews r ON r.event_id = e.event_id
     WHERE NOT EXISTS (SELECT 1 FROM known_answer_results a WHERE a.item_id = k.item_id AND a.reviewer = $1)
       AND NOT EXISTS (SELECT 1 FROM review_decisions d WHERE d.event_id = k.source_event_id AND d.actor = $1)
       AND NOT EXISTS (SELECT 1 FROM evidence_purges p WHERE p.event_id = k.source_event_id)
     ORDER BY k.created_at LIMIT $2`,
    [reviewer, limit],
  );
  return rows.map((row) => ({ ...toQueueRow(row), state: 'queued', version: 1, claimedBy: undefined }));
}

/**
 * Puts known-answer rows among the real ones at positions derived from their ids, so they do
 * not always sit at the top or bottom. Pure.
 */
export function mixKnownAnswers(real: readonly QueueRow[], known: readonly QueueRow[]): QueueRow[] {
  const out = [...real];
  for (const row of known) {
    const position = parseInt(row.itemId.replace(/-/g, '').slice(0, 8), 16) % (out.length + 1);
    out.splice(position, 0, row);
  }
  return out;
}

/** Records a reviewer's answer to a known-answer item, with the same checks as a real decision. */
export async function answerKnownAnswer(
  db: Database,
  item: KnownAnswer,
  reviewer: string,
  decision: FirstDecision,
  reason: string,
  policy: ReviewPolicy,
  nowMs: number,
): Promise<void> {
  const taxonomy = decision === 'confirm' ? CONFIRM_REASONS : REJECT_REASONS;
  if (!isReason(taxonomy, reason)) {
    throw new CoreError(
      CoreErrorCode.REVIEW_BAD_REASON,
      `"${reason}" is not one of: ${Object.keys(taxonomy).join(', ')}`,
    );
  }
  await db.transaction(async (tx) => {
    if (await hasAnswered(tx, item.itemId, reviewer))
      throw new CoreError(CoreErrorCode.REVIEW_INVALID_TRANSITION, `you already decided ${item.itemId}`);
    const viewedMs = await evidenceViewedMs(tx, item.sourceEventId, reviewer, nowMs);
    if (viewedMs < policy.minEvidenceViewMs) {
      throw new CoreError(
        CoreErrorCode.REVIEW_TOO_FAST,
        `the evidence was open ${viewedMs} ms; at least ${policy.minEvidenceViewMs} ms is required`,
      );
    }
    const agreed = decision === item.expected;
    await tx.query(
      `INSERT INTO known_answer_results (item_id, reviewer, decision, reason_code, agreed, evidence_viewed_ms, at)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, to_timestamp($7::float8 / 1000))`,
      [item.itemId, reviewer, decision, reason, agreed, viewedMs, nowMs],
    );
    await appendAudit(tx, {
      atMs: nowMs,
      actor: reviewer,
      action: 'review.known_answer',
      subject: item.itemId,
      details: { sourceEventId: item.sourceEventId, decision, reason, agreed, evidenceViewedMs: viewedMs },
    });
  });
}
