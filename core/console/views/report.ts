/// <reference lib="dom" />
import { api } from '../api.js';
import type { Session } from '../app.js';
import { reasonLabel, stageLabel, timeWithMs } from '../audit-labels.js';
import { announce, download, field, h, isoTime, svg } from '../dom.js';

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
      label.textContent = stageLabel(stage);
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

const DAY_MS = 86_400_000;

/** A date input's value as the UTC midnight it names. */
const dayStartMs = (value: string): number => Date.parse(`${value}T00:00:00Z`);

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows as CSV: codes and words both, so a spreadsheet can group by either. */
export function reportCsv(rows: readonly Row[], isMonth: boolean): string {
  const header = ['period_start_utc', 'camera', 'stage', 'stage_label', 'reason', 'reason_label', 'count'];
  const lines = rows.map((r) =>
    [
      (isoTime(r.periodStartMs) ?? '').slice(0, isMonth ? 7 : 10),
      r.cameraId,
      r.stage,
      stageLabel(r.stage),
      r.reasonCode,
      r.reasonCode ? reasonLabel(r.reasonCode) : '',
      r.count,
    ]
      .map(csvCell)
      .join(','),
  );
  return [header.join(','), ...lines].join('\r\n') + '\r\n';
}

/** Counts per period, camera, stage and reason, machine rejections included; filters and CSV. */
export async function renderReport(_session: Session, main: HTMLElement): Promise<void> {
  const period = h(
    'select',
    { name: 'period' },
    h('option', { value: 'REPORT_PERIOD_DAY' }, 'Per day'),
    h('option', { value: 'REPORT_PERIOD_MONTH' }, 'Per month'),
  );
  const today = new Date().toISOString().slice(0, 10);
  const since = h('input', { type: 'date', name: 'since', required: true, max: today });
  const until = h('input', { type: 'date', name: 'until', required: true, max: today });
  since.value = new Date(Date.now() - 29 * DAY_MS).toISOString().slice(0, 10);
  until.value = today;
  const camera = h('select', { name: 'camera' }, h('option', { value: '' }, 'All cameras'));
  const out = h('div');
  let shown: Row[] = [];
  async function load(): Promise<void> {
    const sinceMs = dayStartMs(since.value);
    const untilMs = dayStartMs(until.value) + DAY_MS;
    if (!Number.isFinite(sinceMs) || !Number.isFinite(untilMs) || sinceMs >= untilMs)
      return announce('Choose a period whose first day is not after its last.', 'error');
    const { rows = [], generatedAtMs } = await api<{ rows?: Row[]; generatedAtMs: string }>(
      'AuditService/GetTransparencyReport',
      { period: period.value, sinceMs, untilMs },
    );
    const chosen = camera.value;
    const cameras = [...new Set(rows.map((r) => r.cameraId))].sort();
    camera.replaceChildren(
      h('option', { value: '' }, 'All cameras'),
      ...cameras.map((c) => h('option', { value: c }, c)),
    );
    camera.value = cameras.includes(chosen) ? chosen : '';
    shown = rows.filter((r) => !camera.value || r.cameraId === camera.value);
    const totals = new Map<string, number>();
    for (const r of shown) totals.set(r.stage, (totals.get(r.stage) ?? 0) + r.count);
    const isMonth = period.value.endsWith('MONTH');
    out.replaceChildren(
      bars(totals),
      h(
        'p',
        { class: 'muted' },
        `${since.value} to ${until.value} (UTC days), ${camera.value || 'all cameras'}; generated ${timeWithMs(generatedAtMs)}.`,
      ),
      shown.length
        ? h(
            'div',
            { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Report rows (scrolls sideways)' },
            h(
              'table',
              { 'aria-label': 'Transparency report', class: 'cards' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [isMonth ? 'Month (UTC)' : 'Day (UTC)', 'Camera', 'Stage', 'Reason', 'Count'].map((t) =>
                    h('th', { scope: 'col' }, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                shown.map((r) =>
                  h(
                    'tr',
                    {},
                    h(
                      'td',
                      { 'data-label': isMonth ? 'Month' : 'Day' },
                      (isoTime(r.periodStartMs) ?? 'invalid date').slice(0, isMonth ? 7 : 10),
                    ),
                    h('td', { 'data-label': 'Camera' }, r.cameraId),
                    h('td', { 'data-label': 'Stage' }, stageLabel(r.stage)),
                    h('td', { 'data-label': 'Reason' }, r.reasonCode ? reasonLabel(r.reasonCode) : '—'),
                    h('td', { 'data-label': 'Count' }, String(r.count)),
                  ),
                ),
              ),
            ),
          )
        : h('p', {}, 'Nothing was counted in this period.'),
    );
  }
  const reload = (): void => void load().catch((err: Error) => announce(`No report: ${err.message}`, 'error'));
  for (const control of [period, since, until, camera]) control.addEventListener('change', reload);
  main.append(
    h('h1', {}, 'Transparency report'),
    h(
      'p',
      {},
      'Every stage counted, including candidates the devices rejected before sending anything and events reviewers rejected.',
    ),
    h(
      'div',
      { class: 'filters' },
      field('From', since),
      field('To', until),
      field('Camera', camera),
      field('Period', period),
    ),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            download(
              `zebra-transparency-${since.value}-${until.value}${camera.value ? `-${camera.value}` : ''}.csv`,
              new Blob([reportCsv(shown, period.value.endsWith('MONTH'))], { type: 'text/csv' }),
            );
            announce(`Saved ${shown.length} rows as CSV.`);
          },
        },
        'Export as CSV',
      ),
    ),
    out,
  );
  await load();
}
