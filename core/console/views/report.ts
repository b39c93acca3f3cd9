/// <reference lib="dom" />
import { api } from '../api.js';
import type { Session } from '../app.js';
import { field, h, isoTime, svg } from '../dom.js';

interface Row {
  periodStartMs: string;
  cameraId: string;
  stage: string;
  reasonCode: string;
  count: number;
}

const STAGES = [
  'machine_rejected',
  'received',
  'rejected',
  'confirmed',
  'approved',
  'denied_at_second_review',
  'appealed',
  'appeal_upheld',
  'appeal_denied',
  'expired',
];

function bars(totals: Map<string, number>): HTMLElement {
  const max = Math.max(1, ...totals.values());
  const rowH = 22;
  const chart = svg(
    'svg',
    { viewBox: `0 0 400 ${STAGES.length * rowH}`, class: 'bars', role: 'img', 'aria-label': 'Counts per stage' },
    ...STAGES.flatMap((stage, i) => {
      const n = totals.get(stage) ?? 0;
      const label = svg('text', { x: 0, y: i * rowH + 15, class: 'label' });
      label.textContent = stage.replace(/_/g, ' ');
      const value = svg('text', { x: 170 + (n / max) * 200 + 4, y: i * rowH + 15, class: 'label' });
      value.textContent = String(n);
      return [
        label,
        svg('rect', { x: 170, y: i * rowH + 4, width: Math.max(1, (n / max) * 200), height: 14, class: 'bar' }),
        value,
      ];
    }),
  );
  return h('figure', { class: 'card' }, chart, h('figcaption', {}, 'Totals per stage over the period'));
}

/** Counts per period, camera, stage and reason, machine rejections included. */
export async function renderReport(_session: Session, main: HTMLElement): Promise<void> {
  const period = h(
    'select',
    { name: 'period' },
    h('option', { value: 'REPORT_PERIOD_DAY' }, 'Per day'),
    h('option', { value: 'REPORT_PERIOD_MONTH' }, 'Per month'),
  );
  const out = h('div');
  async function load(): Promise<void> {
    const { rows = [], generatedAtMs } = await api<{ rows?: Row[]; generatedAtMs: string }>(
      'AuditService/GetTransparencyReport',
      { period: period.value },
    );
    const totals = new Map<string, number>();
    for (const r of rows) totals.set(r.stage, (totals.get(r.stage) ?? 0) + r.count);
    out.replaceChildren(
      bars(totals),
      h('p', { class: 'muted' }, `Last 365 days, generated ${isoTime(generatedAtMs) ?? 'at an invalid time'}.`),
      h(
        'div',
        { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Report rows (scrolls sideways)' },
        h(
          'table',
          { 'aria-label': 'Transparency report' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Period (UTC)', 'Camera', 'Stage', 'Reason', 'Count'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            rows.map((r) =>
              h(
                'tr',
                {},
                h(
                  'td',
                  {},
                  (isoTime(r.periodStartMs) ?? 'invalid date').slice(0, period.value.endsWith('MONTH') ? 7 : 10),
                ),
                h('td', {}, r.cameraId),
                h('td', {}, r.stage.replace(/_/g, ' ')),
                h('td', {}, r.reasonCode || '—'),
                h('td', {}, String(r.count)),
              ),
            ),
          ),
        ),
      ),
    );
  }
  period.addEventListener('change', () => void load());
  main.append(
    h('h1', {}, 'Transparency report'),
    h(
      'p',
      {},
      'Every stage counted, including candidates the devices rejected before sending anything and events reviewers rejected.',
    ),
    field('Period', period),
    out,
  );
  await load();
}
