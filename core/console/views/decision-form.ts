/// <reference lib="dom" />
import { ApiError, call } from '../api.js';
import type { Session } from '../app.js';
import { announce, field, h } from '../dom.js';
import type { ReviewState } from '../../../proto/gen/zebra/v1/review.js';
import { LinkReferenceRequest, LinkReferenceResponse } from '../../../proto/gen/zebra/v1/review_service.js';
import type { Reason } from '../../../proto/gen/zebra/v1/review_service.js';

/**
 * The parts of a decision form: choices with nothing pre-selected, reasons in a neutral order,
 * refusals said where the button is, and the lawful-reference fields.
 */
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

export interface Choice {
  readonly value: string;
  readonly label: string;
  readonly key: string;
}

/**
 * Radio buttons with none checked: nothing is chosen until the reviewer chooses. `onChange` runs
 * on every choice.
 */
export function choiceGroup(
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
export function reasonGroup(ctx: DecisionContext, decisions: readonly string[]): ReturnType<typeof choiceGroup> {
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

export async function attempt(action: () => Promise<void>, error: HTMLElement): Promise<void> {
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
export function refuse(error: HTMLElement, message: string): void {
  error.textContent = message;
  announce(message, 'error');
}

export interface DecisionSpec {
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

export function decisionForm(ctx: DecisionContext, spec: DecisionSpec, after: HTMLElement[] = []): DecisionPanel {
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

export function citationFields(): {
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

export async function linkReference(
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
