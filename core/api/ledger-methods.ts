import {
  AppealOutcome,
  DecideAppealRequest,
  DecideAppealResponse,
  FileAppealRequest,
  FileAppealResponse,
  GetBalanceRequest,
  GetBalanceResponse,
  LedgerServiceService,
} from '../../proto/index.js';
import { balanceOf, movementsOf } from '../review/ledger.js';
import { actOnReview } from '../review/review-service.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { requireText, requireUuid, requireVersion } from './args.js';
import { defineService, rpc } from './method.js';
import { actorOf, reviewOptions } from './review-items.js';

/**
 * The appeal decision the caller chose. There is no default: a request without `outcome` (or
 * with UNSPECIFIED) is refused, whatever the deprecated `uphold` field says.
 */
function appealDecision(outcome: AppealOutcome): 'uphold_appeal' | 'deny_appeal' {
  if (outcome === AppealOutcome.APPEAL_OUTCOME_UPHOLD) return 'uphold_appeal';
  if (outcome === AppealOutcome.APPEAL_OUTCOME_DENY) return 'deny_appeal';
  throw new CoreError(
    CoreErrorCode.INVALID_ARGUMENT,
    'outcome is required: APPEAL_OUTCOME_UPHOLD or APPEAL_OUTCOME_DENY (the deprecated uphold field is ignored)',
  );
}

export const ledgerService = defineService(LedgerServiceService, {
  getBalance: rpc(['supervisor', 'auditor'], GetBalanceRequest, GetBalanceResponse, async (ctx, req) => {
    const subjectRef = requireText('subject_ref', req.subjectRef, 128);
    const policy = ctx.deps.config.ledger;
    const entries = await movementsOf(ctx.deps.db, subjectRef);
    return {
      subjectRef,
      points: await balanceOf(ctx.deps.db, subjectRef, policy, ctx.nowMs),
      baselinePoints: policy.baselinePoints,
      entries: entries.map((e) => ({ ...e, expiresAtMs: e.expiresAtMs ?? 0 })),
    };
  }),
  fileAppeal: rpc(['admin'], FileAppealRequest, FileAppealResponse, async (ctx, req) => {
    const record = await actOnReview(
      ctx.deps.db,
      requireUuid('event_id', req.eventId),
      { kind: 'appeal', grounds: requireText('grounds', req.grounds, 2000) },
      actorOf(ctx),
      ctx.nowMs,
      reviewOptions(ctx),
      // Filed from the paperwork, often without the current version: the machine still only
      // accepts an appeal against an approved event.
      req.expectedVersion > 0 ? req.expectedVersion : undefined,
    );
    return { version: record.version };
  }),
  decideAppeal: rpc(['supervisor'], DecideAppealRequest, DecideAppealResponse, async (ctx, req) => {
    const kind = appealDecision(req.outcome);
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
  }),
});
