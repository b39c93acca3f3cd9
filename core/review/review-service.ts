import { appendAudit } from '../audit/audit-repo.js';
import type { AuditValue } from '../audit/entry.js';
import type { Database, Queryable } from '../db/database.js';
import { CoreError } from '../errors.js';
import { deductPoints, flagDeduction, reversePoints } from './ledger.js';
import { SAME_ADMIN_WINDOW_MS, sameAdminOf } from './same-admin.js';
import type { LedgerPolicy } from './ledger.js';
import { transition } from './machine.js';
import type { Actor, ReviewAction, ReviewEffect, ReviewPolicy, ReviewRecord } from './machine.js';
import { evidenceViewedMs, insertDecision, insertEvidenceView, lockReview, saveReview } from './review-repo.js';

/** A review action as a caller asks for it; the service measures the viewing time itself. */
export type ReviewCommand = ReviewAction extends infer A
  ? A extends { evidenceViewedMs: number }
    ? Omit<A, 'evidenceViewedMs'>
    : A
  : never;

export interface ReviewServiceOptions {
  readonly review: ReviewPolicy;
  readonly ledger: LedgerPolicy;
}

/**
 * Two people decided, but one admin created or enrolled both shortly before: the deduction
 * stands (the rule was followed on its face) and is flagged, with an audit entry, for auditors.
 */
async function flagIfSameAdmin(
  tx: Queryable,
  eventId: string,
  record: ReviewRecord,
  options: ReviewServiceOptions,
  nowMs: number,
): Promise<void> {
  if (!record.confirmedBy || !record.approvedBy) return;
  const deciders = [record.confirmedBy, record.approvedBy] as const;
  const windowMs = options.ledger.sameAdminWindowMs ?? SAME_ADMIN_WINDOW_MS;
  const admin = await sameAdminOf(tx, deciders, nowMs, windowMs);
  if (!admin) return;
  await flagDeduction(tx, eventId, `same_admin:${admin}`);
  await appendAudit(tx, {
    atMs: nowMs,
    actor: 'system:ledger',
    action: 'ledger.flagged',
    subject: eventId,
    details: { flag: 'same_admin', admin, deciders: [...deciders], windowMs },
  });
}

/** Carries out the ledger effects of a transition; each movement is its own audit entry. */
async function applyEffects(
  tx: Queryable,
  eventId: string,
  record: ReviewRecord,
  effects: readonly ReviewEffect[],
  options: ReviewServiceOptions,
  nowMs: number,
): Promise<void> {
  for (const effect of effects) {
    if (effect.kind === 'deduct_points') {
      const { points, expiresAtMs, infractionKind } = await deductPoints(
        tx,
        eventId,
        record.reference!.subjectRef,
        options.ledger,
        nowMs,
      );
      await appendAudit(tx, {
        atMs: nowMs,
        actor: 'system:ledger',
        action: 'ledger.deducted',
        subject: eventId,
        details: { points, expiresAtMs, infractionKind },
      });
      await flagIfSameAdmin(tx, eventId, record, options, nowMs);
    }
    if (effect.kind === 'reverse_points') {
      const points = await reversePoints(tx, eventId, nowMs);
      await appendAudit(tx, {
        atMs: nowMs,
        actor: 'system:ledger',
        action: 'ledger.reversed',
        subject: eventId,
        details: { points },
      });
    }
    // purge_evidence: the retention worker deletes the objects and records each purge.
  }
}

const DECISION_KINDS = new Set([
  'confirm',
  'reject',
  'approve',
  'deny',
  'appeal',
  'uphold_appeal',
  'deny_appeal',
  'expire',
]);

function auditDetails(
  command: ReviewCommand,
  record: ReviewRecord,
  viewedMs: number | undefined,
): Record<string, AuditValue> {
  const details: Record<string, AuditValue> = { state: record.state, version: record.version };
  if ('reason' in command) details.reason = command.reason;
  if (viewedMs !== undefined) details.evidenceViewedMs = viewedMs;
  if (command.kind === 'link') details.citationNumber = command.reference.citationNumber;
  if (command.kind === 'appeal') details.grounds = command.grounds;
  return details;
}

/**
 * Applies one review command in one transaction: lock the row, check the caller's expected
 * version, run the pure state machine, write with a version guard, carry out the effects
 * (ledger), and append the audit entry. Refusals throw CoreError with the machine's code.
 */
export async function actOnReview(
  db: Database,
  eventId: string,
  command: ReviewCommand,
  actor: Actor,
  nowMs: number,
  options: ReviewServiceOptions,
  expectedVersion?: number,
): Promise<ReviewRecord> {
  return db.transaction(async (tx) => {
    const record = await lockReview(tx, eventId);
    if (expectedVersion !== undefined && expectedVersion !== record.version) {
      throw new CoreError(
        'CORE_REVIEW_VERSION_CONFLICT',
        `event ${eventId} is at version ${record.version}, not ${expectedVersion}; reload it`,
      );
    }
    const needsViewing =
      command.kind === 'confirm' || command.kind === 'reject' || command.kind === 'approve' || command.kind === 'deny';
    const viewedMs = needsViewing ? await evidenceViewedMs(tx, eventId, actor.id, nowMs) : undefined;
    const action = (needsViewing ? { ...command, evidenceViewedMs: viewedMs } : command) as ReviewAction;
    const result = transition(record, action, actor, nowMs, options.review);
    if (!result.ok) throw new CoreError(result.code, result.message);
    await saveReview(tx, eventId, record.version, result.record, nowMs);
    if (DECISION_KINDS.has(command.kind)) {
      const reason = 'reason' in command ? command.reason : '';
      await insertDecision(tx, { eventId, actor: actor.id, kind: command.kind, reason, viewedMs, nowMs });
    }
    await appendAudit(tx, {
      atMs: nowMs,
      actor: actor.id,
      action: `review.${command.kind}`,
      subject: eventId,
      details: auditDetails(command, result.record, viewedMs),
    });
    await applyEffects(tx, eventId, result.record, result.effects, options, nowMs);
    return result.record;
  });
}

/** Records that `actor` opened the evidence of an event, and why; audited in the same transaction. */
export async function openEvidence(
  db: Database,
  eventId: string,
  actor: Actor,
  purpose: string,
  nowMs: number,
): Promise<void> {
  if (!purpose.trim()) throw new CoreError('CORE_INVALID_ARGUMENT', 'say why you are opening the evidence');
  await db.transaction(async (tx) => {
    await lockReview(tx, eventId);
    await insertEvidenceView(tx, eventId, actor.id, purpose.trim(), nowMs);
    await appendAudit(tx, {
      atMs: nowMs,
      actor: actor.id,
      action: 'evidence.read',
      subject: eventId,
      details: { purpose: purpose.trim() },
    });
  });
}
