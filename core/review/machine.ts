import type { RoleName } from '../../proto/index.js';
import {
  APPROVE_REASONS,
  CONFIRM_REASONS,
  DENY_APPEAL_REASONS,
  DENY_REASONS,
  REJECT_REASONS,
  UPHOLD_APPEAL_REASONS,
  isReason,
} from './reasons.js';

/** Review states (docs/design.md, review workflow). */
export const REVIEW_STATES = [
  'received',
  'queued',
  'in_review',
  'rejected',
  'confirmed',
  'linked',
  'approved',
  'closed',
  'appealed',
  'upheld',
  'denied',
  'expired',
] as const;
export type ReviewStateName = (typeof REVIEW_STATES)[number];

/** Who acts: a person's role (the proto's, by name), or `system` for the core's own workers. */
export type ActorRole = RoleName | 'system';

export interface Actor {
  readonly id: string;
  readonly roles: readonly ActorRole[];
}

export interface ReviewPolicy {
  readonly claimLeaseMs: number;
  /** A first or second decision is refused until the decider has had the evidence open this long. */
  readonly minEvidenceViewMs: number;
}

/**
 * The lawful record a reviewer links to an event, e.g. an on-scene citation. `subjectRef` is the
 * record's own reference to the person (never derived by the system, never biometric).
 */
export interface LawfulReference {
  readonly citationNumber: string;
  readonly issuingOfficer: string;
  readonly subjectRef: string;
}

/** Everything the machine needs to know about one event's review. */
export interface ReviewRecord {
  readonly state: ReviewStateName;
  /** Bumped by every transition; the service writes with `WHERE version = $expected`. */
  readonly version: number;
  readonly claim?: { readonly by: string; readonly expiresAtMs: number };
  readonly confirmedBy?: string;
  readonly linkedBy?: string;
  readonly approvedBy?: string;
  readonly reference?: LawfulReference;
}

export type ReviewAction =
  | { readonly kind: 'enqueue' }
  | { readonly kind: 'claim' }
  | { readonly kind: 'release' }
  | { readonly kind: 'confirm'; readonly reason: string; readonly evidenceViewedMs: number }
  | { readonly kind: 'reject'; readonly reason: string; readonly evidenceViewedMs: number }
  | { readonly kind: 'link'; readonly reference: LawfulReference }
  | { readonly kind: 'approve'; readonly reason: string; readonly evidenceViewedMs: number }
  | { readonly kind: 'deny'; readonly reason: string; readonly evidenceViewedMs: number }
  | { readonly kind: 'appeal'; readonly grounds: string }
  | { readonly kind: 'uphold_appeal'; readonly reason: string }
  | { readonly kind: 'deny_appeal'; readonly reason: string }
  | { readonly kind: 'expire' };

/** What the service must do besides storing the new record, in the same transaction. */
export type ReviewEffect =
  { readonly kind: 'deduct_points' } | { readonly kind: 'reverse_points' } | { readonly kind: 'purge_evidence' };

export type RefusalCode =
  | 'CORE_REVIEW_INVALID_TRANSITION'
  | 'CORE_REVIEW_FORBIDDEN'
  | 'CORE_REVIEW_SAME_PERSON'
  | 'CORE_REVIEW_NOT_CLAIMANT'
  | 'CORE_REVIEW_TOO_FAST'
  | 'CORE_REVIEW_BAD_REASON'
  | 'CORE_INVALID_ARGUMENT';

export type TransitionResult =
  | { readonly ok: true; readonly record: ReviewRecord; readonly effects: readonly ReviewEffect[] }
  | { readonly ok: false; readonly code: RefusalCode; readonly message: string };

const OPEN_STATES: readonly ReviewStateName[] = ['received', 'queued', 'in_review', 'confirmed', 'linked'];

/** Who may take each action. */
const ROLES_FOR: Record<ReviewAction['kind'], readonly ActorRole[]> = {
  enqueue: ['system'],
  expire: ['system'],
  claim: ['reviewer', 'supervisor'],
  release: ['reviewer', 'supervisor'],
  confirm: ['reviewer', 'supervisor'],
  reject: ['reviewer', 'supervisor'],
  link: ['reviewer', 'supervisor'],
  approve: ['supervisor'],
  deny: ['supervisor'],
  appeal: ['admin'],
  uphold_appeal: ['supervisor'],
  deny_appeal: ['supervisor'],
};

/** The states each action may start from. */
const FROM: Record<ReviewAction['kind'], readonly ReviewStateName[]> = {
  enqueue: ['received'],
  claim: ['queued', 'in_review'],
  release: ['in_review'],
  confirm: ['in_review'],
  reject: ['in_review'],
  link: ['confirmed'],
  approve: ['linked'],
  deny: ['linked'],
  appeal: ['approved'],
  uphold_appeal: ['appealed'],
  deny_appeal: ['appealed'],
  expire: OPEN_STATES,
};

function refuse(code: RefusalCode, message: string): TransitionResult {
  return { ok: false, code, message };
}

function next(record: ReviewRecord, changes: Partial<ReviewRecord>, effects: ReviewEffect[] = []): TransitionResult {
  return { ok: true, record: { ...record, ...changes, version: record.version + 1 }, effects };
}

function checkClaimant(record: ReviewRecord, actor: Actor, nowMs: number): TransitionResult | undefined {
  if (record.claim?.by !== actor.id) return refuse('CORE_REVIEW_NOT_CLAIMANT', 'claim the event before deciding it');
  if (record.claim.expiresAtMs <= nowMs)
    return refuse('CORE_REVIEW_NOT_CLAIMANT', 'your claim has expired; claim the event again');
  return undefined;
}

function checkDecision(
  taxonomy: Record<string, string>,
  reason: string,
  viewedMs: number,
  policy: ReviewPolicy,
): TransitionResult | undefined {
  if (!Object.hasOwn(taxonomy, reason))
    return refuse('CORE_REVIEW_BAD_REASON', `"${reason}" is not one of: ${Object.keys(taxonomy).join(', ')}`);
  if (!(viewedMs >= policy.minEvidenceViewMs)) {
    return refuse(
      'CORE_REVIEW_TOO_FAST',
      `the evidence was open ${Math.max(0, viewedMs)} ms; at least ${policy.minEvidenceViewMs} ms is required`,
    );
  }
  return undefined;
}

/** The people who took part before approval; none of them may approve or decide an appeal. */
function participants(record: ReviewRecord): string[] {
  return [record.confirmedBy, record.linkedBy, record.approvedBy].filter((p): p is string => p !== undefined);
}

function apply(
  record: ReviewRecord,
  action: ReviewAction,
  actor: Actor,
  nowMs: number,
  policy: ReviewPolicy,
): TransitionResult {
  switch (action.kind) {
    case 'enqueue':
      return next(record, { state: 'queued' });
    case 'claim': {
      const isHeldByOther =
        record.state === 'in_review' &&
        record.claim &&
        record.claim.by !== actor.id &&
        record.claim.expiresAtMs > nowMs;
      if (isHeldByOther) return refuse('CORE_REVIEW_INVALID_TRANSITION', 'another reviewer holds this event');
      return next(record, { state: 'in_review', claim: { by: actor.id, expiresAtMs: nowMs + policy.claimLeaseMs } });
    }
    case 'release':
      return checkClaimant(record, actor, nowMs) ?? next(record, { state: 'queued', claim: undefined });
    case 'confirm':
      return (
        checkClaimant(record, actor, nowMs) ??
        checkDecision(CONFIRM_REASONS, action.reason, action.evidenceViewedMs, policy) ??
        next(record, { state: 'confirmed', claim: undefined, confirmedBy: actor.id })
      );
    case 'reject':
      return (
        checkClaimant(record, actor, nowMs) ??
        checkDecision(REJECT_REASONS, action.reason, action.evidenceViewedMs, policy) ??
        next(record, { state: 'rejected', claim: undefined })
      );
    case 'link': {
      const reference = {
        citationNumber: action.reference.citationNumber.trim(),
        issuingOfficer: action.reference.issuingOfficer.trim(),
        subjectRef: action.reference.subjectRef.trim(),
      };
      if (!reference.citationNumber || !reference.issuingOfficer || !reference.subjectRef) {
        return refuse(
          'CORE_INVALID_ARGUMENT',
          'a citation number, the issuing officer and the subject reference are all required',
        );
      }
      return next(record, { state: 'linked', linkedBy: actor.id, reference });
    }
    case 'approve':
    case 'deny': {
      if (participants(record).includes(actor.id)) {
        return refuse(
          'CORE_REVIEW_SAME_PERSON',
          'the second review must be by someone who did not confirm or link this event',
        );
      }
      const taxonomy = action.kind === 'approve' ? APPROVE_REASONS : DENY_REASONS;
      const refused = checkDecision(taxonomy, action.reason, action.evidenceViewedMs, policy);
      if (refused) return refused;
      return action.kind === 'approve'
        ? next(record, { state: 'approved', approvedBy: actor.id }, [{ kind: 'deduct_points' }])
        : next(record, { state: 'closed' });
    }
    case 'appeal':
      if (!action.grounds.trim()) return refuse('CORE_INVALID_ARGUMENT', 'an appeal needs its grounds');
      return next(record, { state: 'appealed' });
    case 'uphold_appeal':
    case 'deny_appeal':
      if (participants(record).includes(actor.id))
        return refuse('CORE_REVIEW_SAME_PERSON', 'an appeal is decided by someone not involved in the decision');
      if (!isReason(action.kind === 'uphold_appeal' ? UPHOLD_APPEAL_REASONS : DENY_APPEAL_REASONS, action.reason))
        return refuse(
          'CORE_REVIEW_BAD_REASON',
          `"${action.reason}" is not a reason to ${action.kind === 'uphold_appeal' ? 'uphold' : 'deny'} an appeal`,
        );
      return action.kind === 'uphold_appeal'
        ? next(record, { state: 'upheld' }, [{ kind: 'reverse_points' }])
        : next(record, { state: 'denied' });
    case 'expire':
      return next(record, { state: 'expired', claim: undefined }, [{ kind: 'purge_evidence' }]);
  }
}

/**
 * The review workflow as a pure function: the next record and the effects to carry out, or a
 * refusal with a code. Checks, in order: role, source state, then the action's own rules.
 */
export function transition(
  record: ReviewRecord,
  action: ReviewAction,
  actor: Actor,
  nowMs: number,
  policy: ReviewPolicy,
): TransitionResult {
  if (!ROLES_FOR[action.kind].some((role) => actor.roles.includes(role))) {
    return refuse('CORE_REVIEW_FORBIDDEN', `${action.kind} needs the role ${ROLES_FOR[action.kind].join(' or ')}`);
  }
  if (!FROM[action.kind].includes(record.state)) {
    return refuse('CORE_REVIEW_INVALID_TRANSITION', `cannot ${action.kind} an event that is ${record.state}`);
  }
  return apply(record, action, actor, nowMs, policy);
}

/** A new event's review record. */
export const NEW_REVIEW: ReviewRecord = { state: 'received', version: 0 };
