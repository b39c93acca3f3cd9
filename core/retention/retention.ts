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
const BATCH = 100;

/** Open reviews whose event is older than the open-review limit. */
async function overdueOpenReviews(deps: RetentionDeps, nowMs: number): Promise<string[]> {
  const { rows } = await deps.db.query<{ event_id: string }>(
    `SELECT r.event_id::text AS event_id FROM reviews r JOIN events e ON e.event_id = r.event_id
     WHERE r.state IN ('received', 'queued', 'in_review', 'confirmed', 'linked')
       AND e.occurred_at < to_timestamp($1::float8 / 1000) ORDER BY e.occurred_at LIMIT ${BATCH}`,
    [nowMs - deps.policy.openReviewMaxAgeMs],
  );
  return rows.map((r) => r.event_id);
}

/**
 * Events whose evidence must go now: expired reviews at once; finished reviews once the
 * retention period has passed since the last decision; approved ones only after their
 * deduction has stopped counting, plus the retention period.
 */
async function evidenceDue(deps: RetentionDeps, nowMs: number): Promise<{ eventId: string; reason: string }[]> {
  const { rows } = await deps.db.query<{ event_id: string; state: string }>(
    `SELECT r.event_id::text AS event_id, r.state FROM reviews r JOIN events e ON e.event_id = r.event_id
     WHERE e.evidence_count > 0
       AND NOT EXISTS (SELECT 1 FROM evidence_purges p WHERE p.event_id = r.event_id)
       AND (r.state = 'expired'
         OR (r.state IN ('rejected', 'closed', 'upheld', 'denied') AND r.updated_at < to_timestamp($1::float8 / 1000))
         OR (r.state = 'approved' AND EXISTS (SELECT 1 FROM ledger_entries l WHERE l.event_id = r.event_id
               AND l.kind = 'deduction' AND l.expires_at < to_timestamp($1::float8 / 1000))))
     LIMIT ${BATCH}`,
    [nowMs - deps.policy.evidenceRetentionMs],
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

/**
 * One retention pass: expires overdue open reviews, then purges evidence that is due. Each
 * event is handled on its own; one failure is logged and the rest go on.
 */
export async function sweepRetention(deps: RetentionDeps, nowMs: number): Promise<{ expired: number; purged: number }> {
  let expired = 0;
  let purged = 0;
  for (const eventId of await overdueOpenReviews(deps, nowMs)) {
    try {
      await actOnReview(deps.db, eventId, { kind: 'expire' }, RETENTION_ACTOR, nowMs, deps.options);
      expired += 1;
      deps.metrics.reviewsExpired.inc();
    } catch (err) {
      if (!(err instanceof CoreError)) throw err;
      deps.logger.warn({ eventId, err: errorMessage(err) }, 'could not expire a review (it changed meanwhile)');
    }
  }
  for (const { eventId, reason } of await evidenceDue(deps, nowMs)) {
    try {
      const n = await purgeEvidence(deps, eventId, reason, nowMs);
      purged += n;
      deps.metrics.evidencePurged.inc(n);
    } catch (err) {
      deps.logger.error({ eventId, err }, 'evidence purge failed; it will be retried on the next sweep');
    }
  }
  if (expired + purged > 0) deps.logger.info({ expired, purged }, 'retention sweep');
  return { expired, purged };
}
