/// <reference lib="dom" />
import { api } from '../api.js';
import type { Session } from '../app.js';
import { timeWithMs } from '../audit-labels.js';
import { announce, field, h } from '../dom.js';
import { packageForm } from './package-download.js';

interface Balance {
  subjectRef: string;
  points: number;
  baselinePoints: number;
  entries?: {
    eventId: string;
    kind: string;
    points: number;
    atMs: string;
    expiresAtMs: string;
    /** e.g. "same_admin:admin": the deduction stands, but auditors should look at it. */
    auditFlag?: string;
  }[];
}

/** A subject's balance and movements (supervisors, auditors); filing an appeal (admins). */
export function renderLedger(session: Session, main: HTMLElement): Promise<void> {
  main.append(h('h1', {}, 'Points and appeals'));
  // Auditors print it from an event's custody story; supervisors and admins by the event's id.
  if (session.roles.includes('supervisor') || session.roles.includes('admin')) main.append(packageForm());
  if (session.roles.includes('supervisor') || session.roles.includes('auditor')) {
    const subject = h('input', { type: 'text', name: 'subject', required: true });
    const out = h('div', { 'aria-live': 'polite' });
    main.append(
      h(
        'form',
        {
          class: 'card',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void api<Balance>('LedgerService/GetBalance', { subjectRef: subject.value.trim() }).then(
              (b) => out.replaceChildren(balance(b, session.roles.includes('auditor'))),
              (err: Error) => announce(err.message, 'error'),
            );
          },
        },
        h('h2', {}, 'Balance'),
        field('Subject reference', subject, 'As written on the lawful record'),
        h('button', { type: 'submit', class: 'primary' }, 'Show balance'),
      ),
      out,
    );
  }
  if (session.roles.includes('admin')) {
    const eventId = h('input', { type: 'text', name: 'event', required: true, size: 40 });
    const grounds = h('textarea', { name: 'grounds', required: true, rows: 3 });
    main.append(
      h(
        'form',
        {
          class: 'card',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void api('LedgerService/FileAppeal', { eventId: eventId.value.trim(), grounds: grounds.value }).then(
              () => {
                announce('Appeal filed; it goes to a supervisor who took no part in the decision.');
                eventId.value = '';
                grounds.value = '';
              },
              (err: Error) => announce(`Could not file the appeal: ${err.message}`, 'error'),
            );
          },
        },
        h('h2', {}, 'File an appeal'),
        h('p', {}, 'On the person’s behalf, against an approved event.'),
        field('Event id', eventId),
        field('Grounds', grounds),
        h('button', { type: 'submit', class: 'primary' }, 'File appeal'),
      ),
    );
  }
  return Promise.resolve();
}

const KINDS: Readonly<Record<string, string>> = { deduction: 'points deducted', reversal: 'points given back' };

/** "same_admin:admin" → words an auditor reads. */
function flagLabel(flag: string): string {
  const [kind, who] = flag.split(':');
  return kind === 'same_admin'
    ? ` (flagged for audit: the same administrator, ${who}, set up both deciders)`
    : ` (flagged for audit: ${flag.replace(/_/g, ' ')})`;
}

function balance(b: Balance, isAuditor: boolean): HTMLElement {
  const entries = b.entries ?? [];
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, `${b.subjectRef}: ${b.points} of ${b.baselinePoints} points`),
    entries.length
      ? h(
          'table',
          { 'aria-label': 'Movements', class: 'cards' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['When', 'Event', 'Movement', 'Points', 'Counts until'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            entries.map((e) =>
              h(
                'tr',
                {},
                h('td', { 'data-label': 'When' }, timeWithMs(e.atMs)),
                h(
                  'td',
                  { 'data-label': 'Event' },
                  h(
                    'a',
                    { href: isAuditor ? `#/trail/${e.eventId}` : `#/item/${e.eventId}` },
                    isAuditor ? 'Custody story' : 'Evidence',
                  ),
                ),
                h(
                  'td',
                  { 'data-label': 'Movement' },
                  KINDS[e.kind] ?? e.kind,
                  e.auditFlag ? h('span', { class: 'flag' }, flagLabel(e.auditFlag)) : null,
                ),
                h('td', { 'data-label': 'Points' }, String(e.points)),
                h('td', { 'data-label': 'Counts until' }, e.kind === 'deduction' ? timeWithMs(e.expiresAtMs) : '—'),
              ),
            ),
          ),
        )
      : h('p', {}, 'No movements.'),
  );
}
