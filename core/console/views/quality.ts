/// <reference lib="dom" />
import { api } from '../api.js';
import type { Session } from '../app.js';
import { h, seconds } from '../dom.js';

/** As proto3 JSON sends it: a zero count is left out. */
interface Figures {
  reviewerId: string;
  knownAnswers?: number;
  knownAnswersAgreed?: number;
  confirmations?: number;
  confirmationsApproved?: number;
  confirmationsDenied?: number;
  rejections?: number;
  medianDecisionMs?: string;
}

const pct = (n: number, d: number): string => (d > 0 ? `${Math.round((n / d) * 100)} %` : '—');

/** Per-reviewer agreement over the last 30 days, for supervisors. */
export async function renderQuality(_session: Session, main: HTMLElement): Promise<void> {
  const { reviewers = [] } = await api<{ reviewers?: Figures[] }>('ReviewService/GetAgreement');

  main.append(
    h('h1', {}, 'Reviewer quality'),
    h(
      'p',
      {},
      'Last 30 days. Known answers are decided events shown again as ordinary work; a short median viewing time can mean rubber-stamping.',
    ),
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Agreement per reviewer (scrolls sideways)' },
      h(
        'table',
        { 'aria-label': 'Agreement per reviewer' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'Reviewer',
              'Known answers',
              'Agreed',
              'Confirmations',
              'Approved at 2nd review',
              'Denied at 2nd review',
              'Rejections',
              'Median viewing time',
            ].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          reviewers.length
            ? reviewers.map(({ reviewerId, medianDecisionMs = '0', ...counts }) => {
                const n = {
                  knownAnswers: 0,
                  knownAnswersAgreed: 0,
                  confirmations: 0,
                  confirmationsApproved: 0,
                  confirmationsDenied: 0,
                  rejections: 0,
                  ...counts,
                };
                return h(
                  'tr',
                  {},
                  h('td', {}, reviewerId),
                  h('td', {}, String(n.knownAnswers)),
                  h('td', {}, pct(n.knownAnswersAgreed, n.knownAnswers)),
                  h('td', {}, String(n.confirmations)),
                  h('td', {}, pct(n.confirmationsApproved, n.confirmations)),
                  h('td', {}, pct(n.confirmationsDenied, n.confirmations)),
                  h('td', {}, String(n.rejections)),
                  h('td', {}, seconds(medianDecisionMs)),
                );
              })
            : h('tr', {}, h('td', { colspan: 8 }, 'No decisions yet.')),
        ),
      ),
    ),
  );
}
