/// <reference lib="dom" />
import { api } from '../api.js';
import type { Session } from '../app.js';
import { durationLabel, reviewStateLabel, storyLine, timeWithMs } from '../audit-labels.js';
import { announce, h } from '../dom.js';
import { verifyCustody } from '../verify.js';
import type { Checkpoint, CustodyCheck, CustodyStep } from '../verify.js';
import { exportLog } from './audit.js';
import { packageForm } from './package-download.js';
import { pinnedKeyPanel, pinnedKeyPem } from './pinned-key.js';

interface EventHead {
  event?: { cameraId?: string; siteId?: string; zoneId?: string; occurredAtMs?: string | number };
  reviewState?: string;
}

/** One verified line of the story; a line whose entry does not verify says so and tells nothing. */
function storyItem(step: CustodyCheck['steps'][number]): HTMLElement {
  if (!step.entry)
    return h(
      'li',
      { class: 'story bad', 'data-ok': 'false' },
      h(
        'p',
        {},
        h('strong', {}, '✗ Not verified: '),
        'this entry is not in the signed log as shown, so it is not told.',
      ),
      h(
        'details',
        {},
        h('summary', {}, 'What the server claimed'),
        h('ul', { class: 'details' }, h('li', {}, `log position ${step.seq}: ${step.action}`)),
      ),
    );
  const line = storyLine(step.entry);
  return h(
    'li',
    { class: 'story', 'data-ok': 'true' },
    h('p', { class: 'when' }, h('time', {}, timeWithMs(line.atMs)), ' ', h('span', { class: 'ok' }, '✓ verified')),
    h('p', {}, h('strong', {}, line.who), ` ${line.what}.`),
    line.why ? h('p', {}, h('span', { class: 'muted' }, 'Why: '), line.why) : null,
    line.lookedMs === undefined
      ? null
      : h('p', {}, h('span', { class: 'muted' }, 'Looked at the evidence for: '), durationLabel(line.lookedMs)),
    h(
      'details',
      {},
      h('summary', {}, 'Details'),
      h(
        'ul',
        { class: 'details' },
        line.details.map(([k, v]) => h('li', {}, `${k}: ${v}`)),
      ),
    ),
  );
}

/** One event's custody story, each line told from an entry verified here against the pinned key. */
export async function renderTrail(session: Session, main: HTMLElement, eventId: string): Promise<void> {
  const [report, head] = await Promise.all([
    api<{ checkpoint: Checkpoint; steps?: CustodyStep[] }>('AuditService/GetCustodyReport', { eventId }),
    api<EventHead>('EventService/GetEvent', { eventId }),
  ]);
  const steps = report.steps ?? [];
  const camera = head.event?.cameraId ?? 'an unknown camera';
  const at = timeWithMs(head.event?.occurredAtMs ?? 0);
  const result = h('p', { class: 'verdict', 'aria-live': 'polite' }, 'Not verified yet.');
  const story = h('ol', { class: 'stories', 'aria-label': 'Custody story' });
  // Only the latest verification writes its verdict: one started with a key since forgotten or
  // replaced must not finish last and speak for the key pinned now.
  let latest = 0;
  const verify = async (): Promise<void> => {
    const run = ++latest;
    const pem = pinnedKeyPem();
    story.replaceChildren();
    if (!pem) {
      result.textContent = 'Pin the log key above to verify the trail: the story is told only from verified entries.';
      result.dataset.ok = 'false';
      return;
    }
    let check: CustodyCheck;
    try {
      check = await verifyCustody({ checkpoint: report.checkpoint, steps }, pem);
    } catch (err) {
      if (run !== latest) return;
      result.textContent = `FAILED: the pinned key cannot check this log (${(err as Error).message}).`;
      result.dataset.ok = 'false';
      return announce(result.textContent, 'error');
    }
    if (run !== latest) return;
    story.replaceChildren(...check.steps.map(storyItem));
    const bad = check.steps.filter((s) => !s.isIncluded).length;
    result.textContent = check.isValid
      ? `Verified with your pinned key: the log of ${report.checkpoint.treeSize} entries is signed, and all ${steps.length} entries below are in it.`
      : `FAILED: ${check.isSigned ? '' : 'the checkpoint is not signed by your pinned key; '}${bad} of ${steps.length} entries are not in the signed log.`;
    result.dataset.ok = String(check.isValid);
    announce(result.textContent, check.isValid ? 'info' : 'error');
  };
  const day = new Date(Number(head.event?.occurredAtMs ?? 0)).toISOString().slice(0, 10);
  main.append(
    h('p', {}, h('a', { href: '#/audit' }, '← Audit')),
    h('h1', {}, `Custody of the event on ${camera}, ${at}`),
    h(
      'p',
      { class: 'muted' },
      `Now ${reviewStateLabel(head.reviewState ?? '')}. Every audit entry about this event, told in words, each checked in this browser against the signed log and your pinned key.`,
    ),
    await pinnedKeyPanel(() => void verify(), report.checkpoint.keyId),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'primary', onclick: () => void verify() }, 'Verify the trail'),
      h(
        'button',
        { type: 'button', onclick: () => void exportLog({ eventId }, `zebra-event-${camera}-${day}.ndjson`) },
        'Export with proofs',
      ),
    ),
    result,
    story,
    packageForm(eventId, `zebra-evidence-${camera}-${day}.pdf`),
    h(
      'details',
      {},
      h('summary', {}, 'Identifiers'),
      h('ul', { class: 'details' }, h('li', {}, `event id ${eventId}`)),
    ),
  );
  void session;
  await verify();
}
