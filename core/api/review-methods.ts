import {
  ApproveEventRequest,
  ApproveEventResponse,
  ClaimEventRequest,
  ClaimEventResponse,
  Decision,
  DecideEventRequest,
  DecideEventResponse,
  GetAgreementRequest,
  GetAgreementResponse,
  GetReviewItemRequest,
  GetReviewItemResponse,
  LinkReferenceRequest,
  LinkReferenceResponse,
  ListQueueRequest,
  ListQueueResponse,
  ListReasonsRequest,
  ListReasonsResponse,
  OpenEvidenceRequest,
  OpenEvidenceResponse,
  QueueKind,
  QueueOrder,
  ReleaseEventRequest,
  ReleaseEventResponse,
  ReviewServiceService,
  SeedKnownAnswerRequest,
  SeedKnownAnswerResponse,
} from '../../proto/index.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { reviewerAgreement } from '../review/agreement.js';
import { answerKnownAnswer, knownAnswersDue, mixKnownAnswers, seedKnownAnswer } from '../review/known-answers.js';
import type { ReviewStateName } from '../review/machine.js';
import { listQueue } from '../review/queue-repo.js';
import type { QueueOrderName } from '../review/queue-repo.js';
import {
  APPROVE_REASONS,
  CONFIRM_REASONS,
  DENY_APPEAL_REASONS,
  DENY_REASONS,
  REJECT_REASONS,
  UPHOLD_APPEAL_REASONS,
} from '../review/reasons.js';
import { actOnReview } from '../review/review-service.js';
import { epochMs, fraction, optionalText, pageSize, period, requireText, requireUuid, requireVersion } from './args.js';
import { defineService, rpc } from './method.js';
import type { CallContext } from './method.js';
import { actorOf, evidenceLinks, readReviewItem, resolveItem, reviewOptions, toReviewItem } from './review-items.js';

const REVIEWERS = ['reviewer', 'supervisor'] as const;
const SUPERVISORS = ['supervisor'] as const;
const MAX_QUEUE = 200;

const QUEUE_STATES: Record<QueueKind, readonly ReviewStateName[]> = {
  [QueueKind.QUEUE_KIND_UNSPECIFIED]: ['queued', 'in_review'],
  [QueueKind.QUEUE_KIND_FIRST_REVIEW]: ['queued', 'in_review'],
  [QueueKind.QUEUE_KIND_LINK]: ['confirmed'],
  [QueueKind.QUEUE_KIND_SECOND_REVIEW]: ['linked'],
  [QueueKind.QUEUE_KIND_APPEAL]: ['appealed'],
  [QueueKind.UNRECOGNIZED]: [],
};

const ORDER: Record<QueueOrder, QueueOrderName> = {
  [QueueOrder.QUEUE_ORDER_UNSPECIFIED]: 'oldest',
  [QueueOrder.QUEUE_ORDER_OLDEST_FIRST]: 'oldest',
  [QueueOrder.QUEUE_ORDER_NEWEST_FIRST]: 'newest',
  [QueueOrder.QUEUE_ORDER_CONFIDENCE_DESC]: 'confidence',
  [QueueOrder.UNRECOGNIZED]: 'oldest',
};

async function queue(ctx: CallContext, req: ListQueueRequest): Promise<ListQueueResponse> {
  const kind = req.kind === QueueKind.QUEUE_KIND_UNSPECIFIED ? QueueKind.QUEUE_KIND_FIRST_REVIEW : req.kind;
  const isSupervisorQueue = kind === QueueKind.QUEUE_KIND_SECOND_REVIEW || kind === QueueKind.QUEUE_KIND_APPEAL;
  if (isSupervisorQueue && !ctx.principal.roles.includes('supervisor'))
    throw new CoreError(CoreErrorCode.PERMISSION_DENIED, 'second reviews and appeals are for supervisors');
  const states = QUEUE_STATES[kind];
  if (states.length === 0) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'unknown queue kind');
  const limit = pageSize(req.pageSize, 50, MAX_QUEUE);
  const real = await listQueue(ctx.deps.db, {
    states,
    limit,
    order: ORDER[req.order] ?? 'oldest',
    cameraId: optionalText('camera_id', req.cameraId, 64) || undefined,
    minConfidence: fraction('min_confidence', req.minConfidence) || undefined,
    sinceMs: epochMs('since_ms', req.sinceMs) || undefined,
    untilMs: epochMs('until_ms', req.untilMs) || undefined,
    excludeParticipant: isSupervisorQueue ? ctx.principal.userId : undefined,
  });
  const known =
    kind === QueueKind.QUEUE_KIND_FIRST_REVIEW && real.length > 0
      ? await knownAnswersDue(ctx.deps.db, ctx.principal.userId, ctx.deps.config.review.knownAnswerShare, 1)
      : [];
  return { items: mixKnownAnswers(real, known).map((row) => toReviewItem(row, ctx.principal.userId)) };
}

function firstDecision(decision: Decision): 'confirm' | 'reject' {
  if (decision === Decision.DECISION_CONFIRM) return 'confirm';
  if (decision === Decision.DECISION_REJECT) return 'reject';
  throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'decision must be CONFIRM or REJECT');
}

async function claim(ctx: CallContext, req: ClaimEventRequest): Promise<ClaimEventResponse> {
  const item = await resolveItem(ctx, requireUuid('event_id', req.eventId));
  if (item.kind === 'known_answer')
    return { leaseExpiresAtMs: ctx.nowMs + ctx.deps.config.review.claimLeaseMs, version: 1 };
  const record = await actOnReview(
    ctx.deps.db,
    item.eventId,
    { kind: 'claim' },
    actorOf(ctx),
    ctx.nowMs,
    reviewOptions(ctx),
  );
  return { leaseExpiresAtMs: record.claim?.expiresAtMs ?? 0, version: record.version };
}

async function release(ctx: CallContext, req: ReleaseEventRequest): Promise<ReleaseEventResponse> {
  const item = await resolveItem(ctx, requireUuid('event_id', req.eventId));
  if (item.kind === 'known_answer') return { version: 1 };
  const record = await actOnReview(
    ctx.deps.db,
    item.eventId,
    { kind: 'release' },
    actorOf(ctx),
    ctx.nowMs,
    reviewOptions(ctx),
  );
  return { version: record.version };
}

async function decide(ctx: CallContext, req: DecideEventRequest): Promise<DecideEventResponse> {
  const item = await resolveItem(ctx, requireUuid('event_id', req.eventId));
  const kind = firstDecision(req.decision);
  if (item.kind === 'known_answer') {
    const policy = reviewOptions(ctx).review;
    await answerKnownAnswer(ctx.deps.db, item.item, ctx.principal.userId, kind, req.reasonCode, policy, ctx.nowMs);
    return { version: 2 };
  }
  const record = await actOnReview(
    ctx.deps.db,
    item.eventId,
    { kind, reason: req.reasonCode },
    actorOf(ctx),
    ctx.nowMs,
    reviewOptions(ctx),
    requireVersion(req.expectedVersion),
  );
  return { version: record.version };
}

async function link(ctx: CallContext, req: LinkReferenceRequest): Promise<LinkReferenceResponse> {
  const eventId = requireUuid('event_id', req.eventId);
  const ref = req.reference;
  const reference = {
    citationNumber: requireText('reference.citation_number', ref?.citationNumber ?? '', 64),
    issuingOfficer: requireText('reference.issuing_officer', ref?.issuingOfficer ?? '', 128),
    subjectRef: requireText('reference.subject_ref', ref?.subjectRef ?? '', 128),
  };
  const record = await actOnReview(
    ctx.deps.db,
    eventId,
    { kind: 'link', reference },
    actorOf(ctx),
    ctx.nowMs,
    reviewOptions(ctx),
    requireVersion(req.expectedVersion),
  );
  return { version: record.version };
}

async function approve(ctx: CallContext, req: ApproveEventRequest): Promise<ApproveEventResponse> {
  const kind = firstDecision(req.decision) === 'confirm' ? 'approve' : 'deny';
  const record = await actOnReview(
    ctx.deps.db,
    requireUuid('event_id', req.eventId),
    { kind, reason: req.reasonCode },
    actorOf(ctx),
    ctx.nowMs,
    reviewOptions(ctx),
    requireVersion(req.expectedVersion),
  );
  return { version: record.version };
}

async function openEvidence(ctx: CallContext, req: OpenEvidenceRequest): Promise<OpenEvidenceResponse> {
  const item = await resolveItem(ctx, requireUuid('event_id', req.eventId));
  const links = await evidenceLinks(ctx, item.eventId, requireText('purpose', req.purpose, 200));
  return { links, openedAtMs: ctx.nowMs };
}

function reasons(): ListReasonsResponse {
  const all: [string, Record<string, string>][] = [
    ['reject', REJECT_REASONS],
    ['confirm', CONFIRM_REASONS],
    ['approve', APPROVE_REASONS],
    ['deny', DENY_REASONS],
    ['appeal_uphold', UPHOLD_APPEAL_REASONS],
    ['appeal_deny', DENY_APPEAL_REASONS],
  ];
  return {
    reasons: all.flatMap(([decision, taxonomy]) =>
      Object.entries(taxonomy).map(([code, label]) => ({ decision, code, label })),
    ),
  };
}

export const reviewService = defineService(ReviewServiceService, {
  listQueue: rpc(REVIEWERS, ListQueueRequest, ListQueueResponse, queue),
  getReviewItem: rpc(REVIEWERS, GetReviewItemRequest, GetReviewItemResponse, (ctx, req) =>
    readReviewItem(ctx, requireUuid('item_id', req.itemId)),
  ),
  claimEvent: rpc(REVIEWERS, ClaimEventRequest, ClaimEventResponse, claim),
  releaseEvent: rpc(REVIEWERS, ReleaseEventRequest, ReleaseEventResponse, release),
  openEvidence: rpc(['reviewer', 'supervisor', 'auditor'], OpenEvidenceRequest, OpenEvidenceResponse, openEvidence),
  decideEvent: rpc(REVIEWERS, DecideEventRequest, DecideEventResponse, decide),
  linkReference: rpc(REVIEWERS, LinkReferenceRequest, LinkReferenceResponse, link),
  approveEvent: rpc(SUPERVISORS, ApproveEventRequest, ApproveEventResponse, approve),
  seedKnownAnswer: rpc(SUPERVISORS, SeedKnownAnswerRequest, SeedKnownAnswerResponse, async (ctx, req) => {
    const item = await seedKnownAnswer(
      ctx.deps.db,
      requireUuid('source_event_id', req.sourceEventId),
      firstDecision(req.expectedDecision),
      ctx.principal.userId,
      ctx.nowMs,
    );
    return { itemId: item.itemId };
  }),
  getAgreement: rpc(SUPERVISORS, GetAgreementRequest, GetAgreementResponse, async (ctx, req) => {
    const [since, until] = period(req.sinceMs, req.untilMs, ctx.nowMs);
    return { reviewers: await reviewerAgreement(ctx.deps.db, since, until) };
  }),
  listReasons: rpc(['reviewer', 'supervisor', 'auditor'], ListReasonsRequest, ListReasonsResponse, () =>
    Promise.resolve(reasons()),
  ),
});
