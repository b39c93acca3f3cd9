import type { EvidenceLink, GetReviewItemResponse, ReviewItem } from '../../proto/index.js';
import type { Actor } from '../review/machine.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { getEvent, reviewStateOf } from '../events/events-repo.js';
import type { KnownAnswer } from '../review/known-answers.js';
import { findKnownAnswer, hasAnswered } from '../review/known-answers.js';
import { queueRowOf } from '../review/queue-repo.js';
import type { QueueRow } from '../review/queue-repo.js';
import { evidenceViewedMs, readReview } from '../review/review-repo.js';
import type { ReviewServiceOptions } from '../review/review-service.js';
import { openEvidence } from '../review/review-service.js';
import type { CallContext } from './method.js';

/** Item ids are event ids, or the ids of known-answer items (which stand for a source event). */
export type ResolvedItem =
  | { readonly kind: 'event'; readonly eventId: string }
  | { readonly kind: 'known_answer'; readonly eventId: string; readonly item: KnownAnswer };

export async function resolveItem(ctx: CallContext, itemId: string): Promise<ResolvedItem> {
  const item = await findKnownAnswer(ctx.deps.db, itemId);
  return item ? { kind: 'known_answer', eventId: item.sourceEventId, item } : { kind: 'event', eventId: itemId };
}

export function actorOf(ctx: CallContext): Actor {
  return { id: ctx.principal.userId, roles: ctx.principal.roles };
}

export function reviewOptions(ctx: CallContext): ReviewServiceOptions {
  const { review, ledger } = ctx.deps.config;
  return {
    review: { claimLeaseMs: review.claimLeaseMs, minEvidenceViewMs: review.minEvidenceViewMs },
    ledger,
  };
}

/** States in which the lawful reference is part of what a reviewer checks. */
const REFERENCE_STATES = new Set(['linked', 'approved', 'closed', 'appealed', 'upheld', 'denied']);

/**
 * One item as the caller may see it. It never says who confirmed or why, so the second review
 * stays blind; the audit log (auditors only) has that.
 */
export async function readReviewItem(ctx: CallContext, itemId: string): Promise<GetReviewItemResponse> {
  const resolved = await resolveItem(ctx, itemId);
  const row = await queueRowOf(ctx.deps.db, resolved.eventId);
  if (!row) throw new CoreError(CoreErrorCode.EVENT_NOT_FOUND, `no review item ${itemId}`);
  const stored = await getEvent(ctx.deps.db, resolved.eventId);
  const viewedMs = await evidenceViewedMs(ctx.deps.db, resolved.eventId, ctx.principal.userId, ctx.nowMs);
  const common = {
    minEvidenceViewMs: ctx.deps.config.review.minEvidenceViewMs,
    evidenceViewedMs: viewedMs,
    signatureKeyId: stored.signatureKeyId,
  };
  if (resolved.kind === 'known_answer') {
    const answered = await hasAnswered(ctx.deps.db, itemId, ctx.principal.userId);
    const item = toReviewItem(
      { ...row, itemId, state: 'queued', version: answered ? 2 : 1, claimedBy: undefined },
      ctx.principal.userId,
    );
    return { item, event: { ...stored.event, eventId: itemId }, reference: undefined, ...common };
  }
  const record = await readReview(ctx.deps.db, resolved.eventId);
  return {
    item: toReviewItem(row, ctx.principal.userId),
    event: stored.event,
    reference: REFERENCE_STATES.has(record.state) ? record.reference : undefined,
    ...common,
  };
}

/**
 * Records the read (audited, with its purpose) and returns short-lived links to each object,
 * bound to the caller: a link is served only with the caller's own token, and each first
 * fetch of a link is audited again (see core/http/evidence-route.ts).
 */
export async function evidenceLinks(ctx: CallContext, eventId: string, purpose: string): Promise<EvidenceLink[]> {
  const { rows } = await ctx.deps.db.query<{ state: string; purged: boolean }>(
    `SELECT r.state, EXISTS (SELECT 1 FROM evidence_purges p WHERE p.event_id = r.event_id) AS purged
     FROM reviews r WHERE r.event_id = $1::uuid`,
    [eventId],
  );
  if (!rows[0]) throw new CoreError(CoreErrorCode.EVENT_NOT_FOUND, `no event ${eventId}`);
  if (rows[0].purged)
    throw new CoreError(CoreErrorCode.EVIDENCE_PURGED, `the evidence of ${eventId} was purged by retention`);
  await openEvidence(
    ctx.deps.db,
    eventId,
    { id: ctx.principal.userId, roles: ctx.principal.roles },
    purpose,
    ctx.nowMs,
  );
  const { event } = await getEvent(ctx.deps.db, eventId);
  const expiresAtMs = ctx.nowMs + ctx.deps.config.review.evidenceLinkTtlMs;
  return event.evidence.map((ref) => ({
    role: ref.role,
    sha256Hex: ref.sha256Hex,
    mediaType: ref.mediaType,
    url: `/api/evidence/${ctx.deps.tickets.issue({
      eventId,
      objectKey: ref.objectKey,
      sha256Hex: ref.sha256Hex,
      mediaType: ref.mediaType || 'application/octet-stream',
      userId: ctx.principal.userId,
      purpose: purpose.trim(),
      expiresAtMs,
    })}`,
    expiresAtMs,
  }));
}

/**
 * The item as `callerId` sees it. Who holds a claim is shown only to that person: others see
 * that it is claimed (claim_expires_at_ms) but not by whom, so no one can later match a
 * confirmation in the second-review queue to the reviewer who claimed it.
 */
export function toReviewItem(row: QueueRow, callerId: string): ReviewItem {
  return {
    itemId: row.itemId,
    siteId: row.siteId,
    cameraId: row.cameraId,
    occurredAtMs: row.occurredAtMs,
    confidence: row.confidence,
    state: reviewStateOf(row.state),
    version: row.version,
    claimedBy: row.claimedBy !== undefined && row.claimedBy === callerId ? row.claimedBy : '',
    claimExpiresAtMs: row.claimExpiresAtMs ?? 0,
  };
}
