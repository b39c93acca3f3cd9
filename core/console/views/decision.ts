/// <reference lib="dom" />
import { ApiError, call } from '../api.js';
import type { Session } from '../app.js';
import { announce, field, h } from '../dom.js';
import { REVIEW_STATE_LABEL } from '../labels.js';
import { ReviewState } from '../../../proto/gen/zebra/v1/review.js';
import {
  ApproveEventRequest,
  ApproveEventResponse,
  DecideEventRequest,
  DecideEventResponse,
  Decision,
  LinkReferenceRequest,
  LinkReferenceResponse,
  ReleaseEventRequest,
  ReleaseEventResponse,
} from '../../../proto/gen/zebra/v1/review_service.js';
import type { Reason } from '../../../proto/gen/zebra/v1/review_service.js';
import { DecideAppealRequest, DecideAppealResponse } from '../../../proto/gen/zebra/v1/ledger_service.js';
import { claim } from './next.js';

/** What the decision panel needs to know about the item and the page. */
export interface DecisionContext {
  readonly session: Session;
  readonly itemId: string;
  readonly state: ReviewState;
  readonly version: number;
  /** The caller holds the claim (the server names no one else). */
  readonly isMine: boolean;
  /** Someone else holds an unexpired claim. */
  readonly isHeldByOther: boolean;
  readonly canReview: boolean;
  readonly reasons: readonly Reason[];
  /** The minimum-viewing-time countdown line. */
  readonly countdown: HTMLElement;
  /** Whether the minimum viewing time has passed. */
  isReady(): boolean;
  /** After a recorded action: announce it and move on (the next item, or the queue). */
  done(message: string): Promise<void>;
}

/** A key the panel answers, for the page's key handler and its legend. */
export interface PanelKey {
  readonly key: string;
  readonly what: string;
  readonly run: () => void;
}

export interface DecisionPanel {
  readonly element: HTMLElement;
  readonly keys: readonly PanelKey[];
  /** Gated on the minimum viewing time; the page enables it when the time has passed. */
  readonly gated: readonly HTMLButtonElement[];
}

interface Choice {
  readonly value: string;
  readonly label: string;
  readonly key: string;
}

/**
 * Radio buttons with none checked: nothing is chosen until the reviewer chooses. `onChange` runs
 * on every choice.
 */
function choiceGroup(
  name: string,
  legend: string,
  choices: readonly Choice[],
  onChange: (value: string) => void,
): { element: HTMLFieldSetElement; value(): string; choose(value: string): void } {
  const inputs = choices.map((c) => {
    const input = h('input', { type: 'radio', name, value: c.value, onchange: () => onChange(c.value) });
    return { c, input };
  });
  const element = h(
    'fieldset',
    { class: 'choices' },
    h('legend', {}, legend),
    inputs.map(({ c, input }) => h('label', { class: 'choice' }, input, h('span', {}, c.label), h('kbd', {}, c.key))),
  );
  return {
    element,
    value: () => inputs.find((i) => i.input.checked)?.input.value ?? '',
    choose: (value) => {
      const found = inputs.find((i) => i.input.value === value);
      if (!found) return;
      found.input.checked = true;
      onChange(value);
    },
  };
}

/**
 * Reasons for one decision in a fixed neutral order (alphabetical by wording, the same for every
 * item), numbered for the keyboard; none chosen.
 */
function reasonGroup(ctx: DecisionContext, decisions: readonly string[]): ReturnType<typeof choiceGroup> {
  const reasons = ctx.reasons
    .filter((r) => decisions.includes(r.decision))
    .slice()
    .sort((a, b) => a.label.localeCompare(b.label, 'en'));
  return choiceGroup(
    'reason',
    'Reason',
    reasons.map((r, i) => ({ value: r.code, label: r.label, key: String(i + 1) })),
    () => undefined,
  );
}

async function attempt(action: () => Promise<void>, error: HTMLElement): Promise<void> {
  try {
    await action();
  } catch (err) {
    const hint = err instanceof ApiError && err.status === 409 ? ' Reload the page: the event changed.' : '';
    const message = `Not recorded: ${(err as Error).message}.${hint}`;
    error.textContent = message;
    announce(message, 'error');
  }
}

/** A refusal of the reviewer's own making: said beside the button and in the status bar. */
function refuse(error: HTMLElement, message: string): void {
  error.textContent = message;
  announce(message, 'error');
}

interface DecisionSpec {
  readonly intro: string;
  readonly choices: readonly Choice[];
  /** Which reasons go with a choice. */
  reasonsFor(choice: string): readonly string[];
  readonly button: string;
  /** Whether the server requires the minimum viewing time first (appeal decisions do not). */
  readonly gated: boolean;
  readonly extra?: (choice: string) => HTMLElement | undefined;
  record(choice: string, reason: string): Promise<string>;
}

function decisionForm(ctx: DecisionContext, spec: DecisionSpec, after: HTMLElement[] = []): DecisionPanel {
  const reasonSlot = h('div', {}, h('p', { class: 'muted' }, 'Choose a decision to see its reasons.'));
  const extraSlot = h('div');
  let reasons: ReturnType<typeof choiceGroup> | undefined;
  const decision = choiceGroup('decision', 'Decision', spec.choices, (value) => {
    reasons = reasonGroup(ctx, spec.reasonsFor(value));
    reasonSlot.replaceChildren(reasons.element);
    extraSlot.replaceChildren(spec.extra?.(value) ?? '');
    error.textContent = '';
  });
  const error = h('p', { class: 'error', role: 'alert' });
  const submit = (): void => {
    const choice = decision.value();
    if (!choice)
      return refuse(
        error,
        `Nothing recorded: choose a decision first (${spec.choices.map((c) => c.label.split(':')[0]).join(' or ')}).`,
      );
    const reason = reasons?.value() ?? '';
    if (!reason) return refuse(error, 'Nothing recorded: choose a reason.');
    if (spec.gated && !ctx.isReady())
      return refuse(error, 'Nothing recorded: the minimum viewing time has not passed.');
    void attempt(async () => ctx.done(await spec.record(choice, reason)), error);
  };
  const button = h(
    'button',
    { type: 'button', class: 'primary', onclick: submit },
    `${spec.button} `,
    h('kbd', {}, 'Enter'),
  );
  const keys: PanelKey[] = [
    ...spec.choices.map((c) => ({ key: c.key, what: c.label.split(':')[0]!, run: () => decision.choose(c.value) })),
    ...Array.from({ length: 9 }, (_, i) => ({
      key: String(i + 1),
      what: 'reason',
      run: () => reasons?.choose(reasons.element.querySelectorAll('input')[i]?.getAttribute('value') ?? ''),
    })),
    { key: 'Enter', what: spec.button.toLowerCase(), run: submit },
  ];
  return {
    element: h(
      'div',
      {},
      h('p', {}, spec.intro),
      decision.element,
      reasonSlot,
      extraSlot,
      spec.gated ? ctx.countdown : null,
      h('div', { class: 'actions' }, button, ...after),
      error,
    ),
    keys,
    gated: spec.gated ? [button] : [],
  };
}

function citationFields(): {
  element: HTMLElement;
  read(): { citationNumber: string; issuingOfficer: string; subjectRef: string };
} {
  const citation = h('input', { type: 'text', name: 'citation', autocomplete: 'off' });
  const officer = h('input', { type: 'text', name: 'officer', autocomplete: 'off' });
  const subject = h('input', { type: 'text', name: 'subject', autocomplete: 'off' });
  return {
    element: h(
      'fieldset',
      { class: 'citation' },
      h('legend', {}, 'Citation at hand? Link it in the same step (optional)'),
      field('Citation number', citation),
      field('Issuing officer', officer),
      field('Subject reference', subject, 'As written on the lawful record, e.g. a licence number'),
    ),
    read: () => ({
      citationNumber: citation.value.trim(),
      issuingOfficer: officer.value.trim(),
      subjectRef: subject.value.trim(),
    }),
  };
}

async function linkReference(
  ctx: DecisionContext,
  reference: { citationNumber: string; issuingOfficer: string; subjectRef: string },
  expectedVersion: number,
): Promise<void> {
  await call(
    'ReviewService/LinkReference',
    LinkReferenceRequest,
    LinkReferenceResponse,
    LinkReferenceRequest.fromPartial({ eventId: ctx.itemId, reference, expectedVersion }),
  );
}

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
    reasonsFor: () => ['appeal'],
    button: 'Record appeal decision',
    gated: false,
    record: async (choice, reasonCode) => {
      await call(
        'LedgerService/DecideAppeal',
        DecideAppealRequest,
        DecideAppealResponse,
        DecideAppealRequest.fromPartial({
          eventId: ctx.itemId,
          uphold: choice === 'uphold',
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
