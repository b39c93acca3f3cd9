import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore } from '@nats-io/obj';
import { appendAudit } from '../audit/audit-repo.js';
import type { CoreConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { CoreError, errorMessage } from '../errors.js';
import { getEvent } from '../events/events-repo.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';
import type { ReviewServiceOptions } from '../review/review-service.js';
import { actOnReview } from '../review/review-service.js';

export interface RetentionDeps {
  readonly db: Database;
  readonly evidence: ObjectStore;
  readonly metrics: CoreMetrics;
  readonly logger: Logger;
  readonly options: ReviewServiceOptions;
  readonly policy: CoreConfig['retention'];
}

const RETENTION_ACTOR = { id: 'system:retention', roles: ['system'] as const };
const HOUR_MS = 3_600_000;

/** The items one sweep may handle: its share of the hourly budget (at least one). */
export function sweepBudget(policy: CoreConfig['retention']): number {
  return Math.max(1, Math.floor((policy.maxItemsPerHour * policy.sweepIntervalMs) / HOUR_MS));
}

/**
 * Open reviews whose event is older than the open-review limit, oldest first, `limit` at most,
 * none of `skip`. A range of the partial index reviews_open_by_capture (migration 0015).
 */
async function overdueOpenReviews(
  deps: RetentionDeps,
  nowMs: number,
  limit: number,
  skip: string[],
): Promise<string[]> {
  const { rows } = await deps.db.query<{ event_id: string }>(
    `SELECT event_id::text AS event_id FROM reviews
     WHERE state IN ('received', 'queued', 'in_review', 'confirmed', 'linked')
       AND event_occurred_at < to_timestamp($1::float8 / 1000) AND NOT (event_id = ANY($2::uuid[]))
     ORDER BY event_occurred_at LIMIT $3`,
    [nowMs - deps.policy.openReviewMaxAgeMs, skip, limit],
  );
  return rows.map((r) => r.event_id);
}

/**
 * Events whose evidence must go now, `limit` at most, none of `skip`: expired reviews at once;
 * finished reviews once the retention period has passed since the last decision; approved ones
 * only after their deduction has stopped counting, plus the retention period. Each part reads a
 * partial index of reviews whose evidence is still kept (migration 0015), never all events.
 */
async function evidenceDue(
  deps: RetentionDeps,
  nowMs: number,
  limit: number,
  skip: string[],
): Promise<{ eventId: string; reason: string }[]> {
  const { rows } = await deps.db.query<{ event_id: string; state: string }>(
    `(SELECT event_id::text AS event_id, state FROM reviews
       WHERE evidence_pending AND state = 'expired' AND NOT (event_id = ANY($2::uuid[])) ORDER BY updated_at LIMIT $3)
     UNION ALL
     (SELECT event_id::text, state FROM reviews
       WHERE evidence_pending AND state IN ('rejected', 'closed', 'upheld', 'denied')
         AND updated_at < to_timestamp($1::float8 / 1000) AND NOT (event_id = ANY($2::uuid[]))
       ORDER BY updated_at LIMIT $3)
     UNION ALL
     (SELECT r.event_id::text, r.state FROM reviews r
       WHERE r.evidence_pending AND r.state = 'approved' AND NOT (r.event_id = ANY($2::uuid[]))
         AND EXISTS (SELECT 1 FROM ledger_entries l WHERE l.event_id = r.event_id
               AND l.kind = 'deduction' AND l.expires_at < to_timestamp($1::float8 / 1000))
       LIMIT $3)
     LIMIT $3`,
    [nowMs - deps.policy.evidenceRetentionMs, skip, limit],
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    reason: r.state === 'expired' ? 'review expired unfinished' : `retention period after ${r.state}`,
  }));
}

/** Deletes an event's evidence objects, then records each purge and one audit entry together. */
async function purgeEvidence(deps: RetentionDeps, eventId: string, reason: string, nowMs: number): Promise<number> {
  const { event } = await getEvent(deps.db, eventId);
  for (const ref of event.evidence) await deps.evidence.delete(ref.objectKey);
  await deps.db.transaction(async (tx) => {
    for (const ref of event.evidence) {
      await tx.query(
        `INSERT INTO evidence_purges (event_id, object_key, sha256_hex, reason, purged_at)
         VALUES ($1::uuid, $2, $3, $4, to_timestamp($5::float8 / 1000)) ON CONFLICT DO NOTHING`,
        [eventId, ref.objectKey, ref.sha256Hex, reason, nowMs],
      );
    }
    await tx.query('UPDATE reviews SET evidence_pending = false WHERE event_id = $1::uuid', [eventId]);
    await appendAudit(tx, {
      atMs: nowMs,
      actor: RETENTION_ACTOR.id,
      action: 'evidence.purged',
      subject: eventId,
      details: { reason, objects: event.evidence.map((r) => ({ objectKey: r.objectKey, sha256Hex: r.sha256Hex })) },
    });
  });
  return event.evidence.length;
}

interface PassResult {
  expired: number;
  purged: number;
  /** Items looked at: reviews expired or not, events purged or not. */
  handled: number;
}

/**
 * One retention pass over at most `limit` items: expires overdue open reviews, then purges
 * evidence that is due. Each event is handled on its own; one failure is logged, the event
 * joins `skip` (not looked at again this sweep) and the rest go on.
 */
async function retentionPass(
  deps: RetentionDeps,
  nowMs: number,
  limit: number,
  skip: Set<string>,
): Promise<PassResult> {
  const result: PassResult = { expired: 0, purged: 0, handled: 0 };
  const overdue = await overdueOpenReviews(deps, nowMs, limit, [...skip]);
  for (const eventId of overdue) {
    result.handled += 1;
    try {
      await actOnReview(deps.db, eventId, { kind: 'expire' }, RETENTION_ACTOR, nowMs, deps.options);
      result.expired += 1;
      deps.metrics.reviewsExpired.inc();
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      skip.add(eventId);
      deps.logger.warn({ eventId, err: errorMessage(err) }, 'could not expire a review (it changed meanwhile)');
    }
  }
  if (result.handled >= limit) return result;
  for (const { eventId, reason } of await evidenceDue(deps, nowMs, limit - result.handled, [...skip])) {
    result.handled += 1;
    try {
      const n = await purgeEvidence(deps, eventId, reason, nowMs);
      result.purged += n;
      deps.metrics.evidencePurged.inc(n);
    } catch (err) {
      skip.add(eventId);
      deps.logger.error({ eventId, err }, 'evidence purge failed; it will be retried on the next sweep');
    }
  }
  return result;
}

/**
 * One retention sweep: passes of at most `retention.itemsPerPass` items, `retention.passPauseMs`
 * apart, for as long as a pass finds a full batch and the sweep's share of
 * `retention.maxItemsPerHour` lasts (see {@link sweepBudget}); so a backlog drains at that rate.
 * Stops between passes when `signal` is aborted.
 */
export async function sweepRetention(
  deps: RetentionDeps,
  nowMs: number,
  signal?: AbortSignal,
): Promise<{ expired: number; purged: number }> {
  let budget = sweepBudget(deps.policy);
  let expired = 0;
  let purged = 0;
  let passes = 0;
  const skip = new Set<string>();
  while (budget > 0) {
    if (passes > 0 && deps.policy.passPauseMs > 0) await sleep(deps.policy.passPauseMs);
    if (signal?.aborted) break;
    const limit = Math.min(deps.policy.itemsPerPass, budget);
    const pass = await retentionPass(deps, nowMs, limit, skip);
    passes += 1;
    expired += pass.expired;
    purged += pass.purged;
    budget -= pass.handled;
    if (pass.handled < limit) break;
  }
  if (expired + purged > 0) deps.logger.info({ expired, purged, passes, budgetLeft: budget }, 'retention sweep');
  return { expired, purged };
}
