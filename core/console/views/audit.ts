/// <reference lib="dom" />
import { api, apiStream } from '../api.js';
import type { Session } from '../app.js';
import { reviewStateLabel, timeWithMs } from '../audit-labels.js';
import { announce, download, field, h } from '../dom.js';
import type { Checkpoint } from '../verify.js';
import { pinnedKeyPanel } from './pinned-key.js';

export { renderTrail } from './trail.js';

interface Summary {
  eventId: string;
  cameraId: string;
  cameraSeq: string;
  occurredAtMs: string;
  reviewState: string;
}

/**
 * Streams an export (NDJSON) into a file: the pieces go into a Blob as they come (never one
 * string), entries are counted on the way for the progress line, and a file that does not end
 * with its trailer line is reported as cut short rather than saved.
 */
export async function exportLog(body: Record<string, unknown>, name: string): Promise<void> {
  try {
    announce('Exporting…');
    const reader = await apiStream('AuditService/ExportLog', body);
    const parts: Uint8Array<ArrayBuffer>[] = [];
    const decoder = new TextDecoder();
    let partial = '';
    let lastLine = '';
    let entries = 0;
    let shownAtMs = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      const lines = (partial + decoder.decode(value, { stream: true })).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{"type":"entry"')) entries += 1;
      lastLine = lines.at(-1) ?? lastLine;
      if (Date.now() - shownAtMs > 250) {
        shownAtMs = Date.now();
        announce(`Exporting… ${entries.toLocaleString()} entries so far`);
      }
    }
    if (partial || !lastLine.startsWith('{"type":"end"'))
      throw new Error(`the export was cut short after ${entries} entries; try again`);
    download(name, new Blob(parts, { type: 'application/x-ndjson' }));
    announce(
      `Exported ${entries.toLocaleString()} entries to ${name}. Verify offline: zebra audit verify ${name} --public-key audit.pub.pem`,
    );
  } catch (err) {
    announce(`Export failed: ${(err as Error).message}`, 'error');
  }
}

/** Events with their trails, the current checkpoint, and exports. */
export async function renderAudit(_session: Session, main: HTMLElement): Promise<() => void> {
  const { checkpoint } = await api<{ checkpoint: Checkpoint; publicKeyPem: string }>('AuditService/GetCheckpoint');
  const tbody = h('tbody');
  async function load(): Promise<void> {
    const { events = [] } = await api<{ events?: Summary[] }>('EventService/ListEvents', { pageSize: 100 });
    tbody.replaceChildren(
      ...events.map((e) =>
        h(
          'tr',
          {},
          h('td', { 'data-label': 'Occurred' }, h('a', { href: `#/trail/${e.eventId}` }, timeWithMs(e.occurredAtMs))),
          h('td', { 'data-label': 'Camera' }, `${e.cameraId}, number ${e.cameraSeq}`),
          h('td', { 'data-label': 'State' }, reviewStateLabel(e.reviewState)),
          h('td', { 'data-label': 'Evidence' }, h('a', { href: `#/item/${e.eventId}` }, 'Evidence')),
        ),
      ),
    );
  }
  const { cameras = [] } = await api<{
    cameras?: {
      deviceId: string;
      cameraId: string;
      highestSeq: string;
      storedCount: string;
      gaps?: { firstMissing: string; lastMissing: string }[];
      gapCount?: string;
      missingCount?: string;
    }[];
  }>('EventService/ListSequenceGaps');
  const sequences = h(
    'ul',
    {},
    cameras.length
      ? cameras.map((c) =>
          h(
            'li',
            {},
            `${c.deviceId} / ${c.cameraId}: ${c.storedCount} of ${c.highestSeq} stored` +
              ((c.gaps ?? []).length
                ? `; missing ${(c.gaps ?? []).map((g) => (g.firstMissing === g.lastMissing ? g.firstMissing : `${g.firstMissing}–${g.lastMissing}`)).join(', ')}`
                : '; no gaps') +
              (Number(c.gapCount ?? 0) > (c.gaps ?? []).length
                ? ` (the newest ${(c.gaps ?? []).length} of ${c.gapCount} runs; ${c.missingCount} numbers missing)`
                : ''),
          ),
        )
      : [h('li', {}, 'No events yet.')],
  );
  const since = h('input', { type: 'date', name: 'since', required: true });
  const until = h('input', { type: 'date', name: 'until', required: true });
  main.append(
    h('h1', {}, 'Audit'),
    await pinnedKeyPanel(() => undefined, checkpoint.keyId),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Signed checkpoint'),
      h(
        'p',
        {},
        `The log holds ${Number(checkpoint.treeSize).toLocaleString('en')} entries; its newest checkpoint was signed ${timeWithMs(checkpoint.atMs)}.`,
      ),
      h(
        'details',
        {},
        h('summary', {}, 'Checkpoint details'),
        h(
          'ul',
          { class: 'details' },
          h('li', {}, `log ${checkpoint.origin}`),
          h('li', {}, `signing key fingerprint ${checkpoint.keyId}`),
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          { type: 'button', onclick: () => void exportLog({}, 'zebra-audit.ndjson') },
          'Export the whole log',
        ),
      ),
      h(
        'form',
        {
          class: 'filters',
          onsubmit: (e: Event) => {
            e.preventDefault();
            void exportLog(
              { sinceMs: Date.parse(since.value), untilMs: Date.parse(until.value) + 86_400_000 },
              `zebra-audit-${since.value}-${until.value}.ndjson`,
            );
          },
        },
        field('From', since),
        field('To', until),
        h('button', { type: 'submit' }, 'Export the period, with proofs'),
      ),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Camera sequence numbers'), sequences),
    h('h2', {}, 'Events'),
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Events (scrolls sideways)' },
      h(
        'table',
        { 'aria-label': 'Events', class: 'cards' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Occurred (custody story)', 'Camera', 'State', 'Evidence'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        tbody,
      ),
    ),
  );
  await load();
  const timer = setInterval(
    () => void load().catch((err: Error) => announce(`Could not refresh the events: ${err.message}`, 'error')),
    5000,
  );
  return () => clearInterval(timer);
}
