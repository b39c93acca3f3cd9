/// <reference lib="dom" />
import { call } from '../api.js';
import { announce, h } from '../dom.js';
import { REVIEW_STATE_LABEL } from '../labels.js';
import { ReviewState } from '../../../proto/gen/zebra/v1/review.js';
import {
  ApproveEventRequest,
  ApproveEventResponse,
  DecideEventRequest,
  DecideEventResponse,
  Decision,
  ReleaseEventRequest,
  ReleaseEventResponse,
} from '../../../proto/gen/zebra/v1/review_service.js';
import {
  AppealOutcome,
  DecideAppealRequest,
  DecideAppealResponse,
} from '../../../proto/gen/zebra/v1/ledger_service.js';
import { attempt, citationFields, decisionForm, linkReference, refuse } from './decision-form.js';
import type { DecisionContext, DecisionPanel } from './decision-form.js';
import { claim } from './next.js';

export type { DecisionContext, DecisionPanel, PanelKey } from './decision-form.js';

function firstReviewPanel(ctx: DecisionContext): DecisionPanel {
  let citation: ReturnType<typeof citationFields> | undefined;
  const release = (): void =>
    void call(
      'ReviewService/ReleaseEvent',
      ReleaseEventRequest,
      ReleaseEventResponse,
      ReleaseEventRequest.fromPartial({ eventId: ctx.itemId }),
    ).then(
      () => {
        announce('Released to the queue.', 'info', true);
        ctx.session.go('#/queue');
      },
      (err: Error) => announce(`Could not release: ${err.message}`, 'error'),
    );
  return decisionForm(
    ctx,
    {
      intro: 'First review: does the evidence show the rule broken? Nothing is chosen for you.',
      choices: [
        { value: 'confirm', label: 'Confirm: the evidence shows the infraction', key: 'c' },
        { value: 'reject', label: 'Reject: it does not', key: 'r' },
      ],
      reasonsFor: (choice) => [choice],
      button: 'Record decision',
      gated: true,
      extra: (choice) => {
        citation = choice === 'confirm' ? citationFields() : undefined;
        return citation?.element;
      },
      record: async (choice, reasonCode) => {
        const reference = choice === 'confirm' ? citation?.read() : undefined;
        const given = reference ? Object.values(reference).filter(Boolean).length : 0;
        if (given > 0 && given < 3) throw new Error('fill in all three citation fields, or none');
        const { version } = await call(
          'ReviewService/DecideEvent',
          DecideEventRequest,
          DecideEventResponse,
          DecideEventRequest.fromPartial({
            eventId: ctx.itemId,
            decision: choice === 'confirm' ? Decision.DECISION_CONFIRM : Decision.DECISION_REJECT,
            reasonCode,
            expectedVersion: ctx.version,
          }),
        );
        if (choice === 'reject') return 'Rejected.';
        if (given < 3) return 'Confirmed. The lawful reference is linked next (Link reference tab).';
        await linkReference(ctx, reference!, version);
        return 'Confirmed and the reference linked; a supervisor does the blind second review.';
      },
    },
    [h('button', { type: 'button', onclick: release }, 'Release')],
  );
}

function secondReviewPanel(ctx: DecisionContext): DecisionPanel {
  return decisionForm(ctx, {
    intro:
      'Second review, blind: you are not shown the first decision or who made it. Check the evidence and the reference.',
    choices: [
      { value: 'approve', label: 'Approve: the evidence and the reference support it', key: 'a' },
      { value: 'deny', label: 'Deny: they do not', key: 'd' },
    ],
    reasonsFor: (choice) => [choice],
    button: 'Record second decision',
    gated: true,
    record: async (choice, reasonCode) => {
      await call(
        'ReviewService/ApproveEvent',
        ApproveEventRequest,
        ApproveEventResponse,
        ApproveEventRequest.fromPartial({
          eventId: ctx.itemId,
          decision: choice === 'approve' ? Decision.DECISION_CONFIRM : Decision.DECISION_REJECT,
          reasonCode,
          expectedVersion: ctx.version,
        }),
      );
      return choice === 'approve' ? 'Approved: the points are deducted.' : 'Denied: the event is closed.';
    },
  });
}

function appealPanel(ctx: DecisionContext): DecisionPanel {
  return decisionForm(ctx, {
    intro: 'Appeal: decided by someone who took no part in the decision.',
    choices: [
      { value: 'deny', label: 'Deny the appeal: the decision stands', key: 'd' },
      { value: 'uphold', label: 'Uphold the appeal: give the points back', key: 'u' },
    ],
    reasonsFor: (choice) => [`appeal_${choice}`],
    button: 'Record appeal decision',
    gated: false,
    record: async (choice, reasonCode) => {
      await call(
        'LedgerService/DecideAppeal',
        DecideAppealRequest,
        DecideAppealResponse,
        DecideAppealRequest.fromPartial({
          eventId: ctx.itemId,
          outcome: choice === 'uphold' ? AppealOutcome.APPEAL_OUTCOME_UPHOLD : AppealOutcome.APPEAL_OUTCOME_DENY,
          reasonCode,
          expectedVersion: ctx.version,
        }),
      );
      return choice === 'uphold' ? 'Appeal upheld: the points are given back.' : 'Appeal denied.';
    },
  });
}

function linkPanel(ctx: DecisionContext): DecisionPanel {
  const fields = citationFields();
  const error = h('p', { class: 'error', role: 'alert' });
  const submit = (e?: Event): void => {
    e?.preventDefault();
    const reference = fields.read();
    if (!reference.citationNumber || !reference.issuingOfficer || !reference.subjectRef)
      return refuse(error, 'Nothing recorded: fill in all three fields.');
    void attempt(async () => {
      await linkReference(ctx, reference, ctx.version);
      await ctx.done('Reference linked; the event goes to a supervisor for the blind second review.');
    }, error);
  };
  fields.element.querySelector('legend')!.textContent = 'The lawful reference';
  return {
    element: h(
      'form',
      { onsubmit: submit },
      h(
        'p',
        {},
        'Link the lawful record: the citation issued on scene, the issuing officer, and the record’s own subject reference. Nothing here comes from the images.',
      ),
      fields.element,
      h('button', { type: 'submit', class: 'primary' }, 'Link reference'),
      error,
    ),
    keys: [],
    gated: [],
  };
}

function claimPanel(ctx: DecisionContext): DecisionPanel {
  const take = (): void =>
    void claim(ctx.itemId).then(
      () => ctx.session.reload(),
      (err: Error) => announce(`Could not claim: ${err.message}`, 'error'),
    );
  return {
    element: h(
      'div',
      {},
      h('p', {}, ctx.isHeldByOther ? 'Another reviewer holds this event.' : 'Claim this event to review it.'),
      h(
        'button',
        { type: 'button', class: 'primary', onclick: take, disabled: ctx.isHeldByOther },
        'Claim ',
        h('kbd', {}, 'c'),
      ),
    ),
    keys: ctx.isHeldByOther ? [] : [{ key: 'c', what: 'claim', run: take }],
    gated: [],
  };
}

const isFirstReviewState = (s: ReviewState): boolean =>
  s === ReviewState.REVIEW_STATE_QUEUED || s === ReviewState.REVIEW_STATE_IN_REVIEW;

/** The decision panel for the item's state and the caller's roles. */
export function decisionPanel(ctx: DecisionContext): DecisionPanel {
  const isSupervisor = ctx.session.roles.includes('supervisor');
  const note = (text: string): DecisionPanel => ({ element: h('p', {}, text), keys: [], gated: [] });
  const stateLabel = REVIEW_STATE_LABEL[ctx.state];
  const panel = !ctx.canReview
    ? note(`${stateLabel}. Auditors read; they do not decide.`)
    : isFirstReviewState(ctx.state)
      ? ctx.isMine
        ? firstReviewPanel(ctx)
        : claimPanel(ctx)
      : ctx.state === ReviewState.REVIEW_STATE_CONFIRMED
        ? linkPanel(ctx)
        : ctx.state === ReviewState.REVIEW_STATE_LINKED && isSupervisor
          ? secondReviewPanel(ctx)
          : ctx.state === ReviewState.REVIEW_STATE_APPEALED && isSupervisor
            ? appealPanel(ctx)
            : note(`${stateLabel}. Nothing to decide here.`);
  return {
    ...panel,
    element: h(
      'section',
      { class: 'card decide', id: 'decide', 'data-item': ctx.itemId, 'aria-labelledby': 'decide-h' },
      h('h2', { id: 'decide-h' }, 'Decision'),
      panel.element,
    ),
  };
}
