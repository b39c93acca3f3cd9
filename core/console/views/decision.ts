/// <reference lib="dom" />
import { ApiError, api } from '../api.js';
import type { Session } from '../app.js';
import { announce, enumLabel, field, h } from '../dom.js';

export interface Reason {
  decision: string;
  code: string;
  label: string;
}

/** What the decision panel needs to know about the item and the page. */
export interface DecisionContext {
  readonly session: Session;
  readonly itemId: string;
  readonly state: string;
  readonly version: number;
  /** The caller's own id when they hold the claim; the server names no one else. */
  readonly claimedBy: string;
  /** Someone else holds an unexpired claim. */
  readonly claimedByOther?: boolean;
  readonly canReview: boolean;
  readonly reasons: readonly Reason[];
  /** The minimum-viewing-time countdown line. */
  readonly countdown: HTMLElement;
  /** Buttons that stay disabled until the minimum viewing time has passed. */
  readonly gated: HTMLButtonElement[];
}

async function act(ctx: DecisionContext, method: string, body: Record<string, unknown>, done: string): Promise<void> {
  try {
    await api(method, body);
    announce(done);
    ctx.session.go('#/queue');
  } catch (err) {
    const hint = err instanceof ApiError && err.status === 409 ? ' Reload the page: the event changed.' : '';
    announce(`${(err as Error).message}.${hint}`, 'error');
  }
}

function reasonPicker(ctx: DecisionContext, kinds: string[]): HTMLSelectElement {
  return h(
    'select',
    { name: 'reason' },
    kinds.flatMap((k) =>
      ctx.reasons
        .filter((r) => r.decision === k)
        .map((r) => h('option', { value: `${k}:${r.code}` }, `${k}: ${r.label}`)),
    ),
  );
}

function gatedButton(ctx: DecisionContext, label: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'primary', onclick: onClick }, label);
  ctx.gated.push(b);
  return b;
}

function claimPanel(ctx: DecisionContext): HTMLElement[] {
  const claim = (): void =>
    void api('ReviewService/ClaimEvent', { eventId: ctx.itemId }).then(
      () => ctx.session.reload(),
      (err: Error) => announce(`Could not claim: ${err.message}`, 'error'),
    );
  return [
    h(
      'p',
      {},
      ctx.claimedBy
        ? 'Claimed by you.'
        : ctx.claimedByOther
          ? 'Another reviewer holds this event.'
          : 'Claim this event to review it.',
    ),
    h('button', { type: 'button', class: 'primary', onclick: claim }, 'Claim'),
  ];
}

function firstReviewPanel(ctx: DecisionContext): HTMLElement[] {
  const picker = reasonPicker(ctx, ['confirm', 'reject']);
  const decide = (): void => {
    const [kind, code] = picker.value.split(':');
    void act(
      ctx,
      'ReviewService/DecideEvent',
      {
        eventId: ctx.itemId,
        decision: kind === 'confirm' ? 'DECISION_CONFIRM' : 'DECISION_REJECT',
        reasonCode: code,
        expectedVersion: ctx.version,
      },
      kind === 'confirm' ? 'Confirmed. Link the lawful reference next (Link reference tab).' : 'Rejected.',
    );
  };
  const release = (): void =>
    void act(ctx, 'ReviewService/ReleaseEvent', { eventId: ctx.itemId }, 'Released to the queue.');
  return [
    field('Reason', picker),
    ctx.countdown,
    h(
      'div',
      { class: 'actions' },
      gatedButton(ctx, 'Record decision', decide),
      h('button', { type: 'button', onclick: release }, 'Release'),
    ),
  ];
}

function linkPanel(ctx: DecisionContext): HTMLElement[] {
  const citation = h('input', { type: 'text', name: 'citation', required: true });
  const officer = h('input', { type: 'text', name: 'officer', required: true });
  const subject = h('input', { type: 'text', name: 'subject', required: true });
  const submit = (e: Event): void => {
    e.preventDefault();
    void act(
      ctx,
      'ReviewService/LinkReference',
      {
        eventId: ctx.itemId,
        reference: { citationNumber: citation.value, issuingOfficer: officer.value, subjectRef: subject.value },
        expectedVersion: ctx.version,
      },
      'Reference linked; the event goes to a supervisor for the blind second review.',
    );
  };
  return [
    h(
      'p',
      {},
      'Link the lawful record: the citation issued on scene, the issuing officer, and the record’s own subject reference. Nothing here comes from the images.',
    ),
    h(
      'form',
      { onsubmit: submit },
      field('Citation number', citation),
      field('Issuing officer', officer),
      field('Subject reference', subject, 'As written on the lawful record, e.g. a licence number'),
      h('button', { type: 'submit', class: 'primary' }, 'Link reference'),
    ),
  ];
}

function secondReviewPanel(ctx: DecisionContext): HTMLElement[] {
  const picker = reasonPicker(ctx, ['approve', 'deny']);
  const decide = (): void => {
    const [kind, code] = picker.value.split(':');
    void act(
      ctx,
      'ReviewService/ApproveEvent',
      {
        eventId: ctx.itemId,
        decision: kind === 'approve' ? 'DECISION_CONFIRM' : 'DECISION_REJECT',
        reasonCode: code,
        expectedVersion: ctx.version,
      },
      kind === 'approve' ? 'Approved: the points are deducted.' : 'Denied: the event is closed.',
    );
  };
  return [
    h(
      'p',
      {},
      'Second review, blind: you do not see the first reviewer’s decision. Check the evidence and the reference.',
    ),
    field('Reason', picker),
    ctx.countdown,
    gatedButton(ctx, 'Record second decision', decide),
  ];
}

function appealPanel(ctx: DecisionContext): HTMLElement[] {
  const picker = reasonPicker(ctx, ['appeal']);
  const outcome = h(
    'select',
    { name: 'outcome' },
    h('option', { value: 'uphold' }, 'Uphold the appeal (give the points back)'),
    h('option', { value: 'deny' }, 'Deny the appeal'),
  );
  const decide = (): void => {
    const uphold = outcome.value === 'uphold';
    void act(
      ctx,
      'LedgerService/DecideAppeal',
      { eventId: ctx.itemId, uphold, reasonCode: picker.value.split(':')[1], expectedVersion: ctx.version },
      uphold ? 'Appeal upheld: the points are given back.' : 'Appeal denied.',
    );
  };
  return [
    h('p', {}, 'Appeal: decided by someone who took no part in the decision.'),
    field('Outcome', outcome),
    field('Reason', picker),
    h('button', { type: 'button', class: 'primary', onclick: decide }, 'Record appeal decision'),
  ];
}

/** The decision panel for the item's state and the caller's roles. */
export function decisionPanel(ctx: DecisionContext): HTMLElement {
  const stateLabel = enumLabel(ctx.state, 'REVIEW_STATE_');
  const isSupervisor = ctx.session.roles.includes('supervisor');
  const isMine = ctx.claimedBy === ctx.session.user.userId;
  const body = !ctx.canReview
    ? [h('p', {}, `State: ${stateLabel}. Auditors read; they do not decide.`)]
    : ctx.state.endsWith('QUEUED') || ctx.state.endsWith('IN_REVIEW')
      ? isMine
        ? firstReviewPanel(ctx)
        : claimPanel(ctx)
      : ctx.state.endsWith('CONFIRMED')
        ? linkPanel(ctx)
        : ctx.state.endsWith('LINKED') && isSupervisor
          ? secondReviewPanel(ctx)
          : ctx.state.endsWith('APPEALED') && isSupervisor
            ? appealPanel(ctx)
            : [h('p', {}, `State: ${stateLabel}. Nothing to decide here.`)];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'decide-h' },
    h('h2', { id: 'decide-h' }, 'Decision'),
    ...body,
  );
}
