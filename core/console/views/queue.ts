/// <reference lib="dom" />
import { api } from '../api.js';
import type { Session } from '../app.js';
import { announce, enumLabel, field, h, when } from '../dom.js';

interface Item {
  itemId: string;
  cameraId: string;
  occurredAtMs: string;
  confidence: number;
  state: string;
  version: number;
  /** Only ever the caller's own id: the server does not say who else holds a claim. */
  claimedBy: string;
  claimExpiresAtMs: string;
}

const KINDS = [
  { kind: 'QUEUE_KIND_FIRST_REVIEW', label: 'First review', supervisorOnly: false },
  { kind: 'QUEUE_KIND_LINK', label: 'Link reference', supervisorOnly: false },
  { kind: 'QUEUE_KIND_SECOND_REVIEW', label: 'Second review', supervisorOnly: true },
  { kind: 'QUEUE_KIND_APPEAL', label: 'Appeals', supervisorOnly: true },
] as const;

const POLL_MS = 5000;

/** The review queue: tabs per stage, filters, claim, keyboard shortcuts, live updates. */
export async function renderQueue(session: Session, main: HTMLElement, arg: string): Promise<() => void> {
  const isSupervisor = session.roles.includes('supervisor');
  const kinds = KINDS.filter((k) => !k.supervisorOnly || isSupervisor);
  const kind = kinds.find((k) => k.kind === arg) ?? kinds[0]!;
  const camera = h('input', { type: 'text', name: 'camera', placeholder: 'all cameras' });
  const since = h('input', { type: 'date', name: 'since' });
  const until = h('input', { type: 'date', name: 'until' });
  const minConfidence = h('input', { type: 'number', name: 'confidence', min: 0, max: 1, step: 0.05, value: 0 });
  const order = h(
    'select',
    { name: 'order' },
    h('option', { value: 'QUEUE_ORDER_OLDEST_FIRST' }, 'Oldest first'),
    h('option', { value: 'QUEUE_ORDER_NEWEST_FIRST' }, 'Newest first'),
    h('option', { value: 'QUEUE_ORDER_CONFIDENCE_DESC' }, 'Highest confidence first'),
  );
  const tbody = h('tbody');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  let known = new Set<string>();
  let isFirstLoad = true;

  async function load(): Promise<void> {
    const { items = [] } = await api<{ items?: Item[] }>('ReviewService/ListQueue', {
      kind: kind.kind,
      cameraId: camera.value.trim(),
      minConfidence: Number(minConfidence.value) || 0,
      sinceMs: since.value ? Date.parse(since.value) : 0,
      untilMs: until.value ? Date.parse(until.value) + 86_400_000 : 0,
      order: order.value,
      pageSize: 100,
    });
    const fresh = items.filter((i) => !known.has(i.itemId));
    if (!isFirstLoad && fresh.length > 0) announce(`${fresh.length} new item(s) in ${kind.label.toLowerCase()}`);
    isFirstLoad = false;
    known = new Set(items.map((i) => i.itemId));
    count.textContent = `${items.length} item(s)`;
    tbody.replaceChildren(
      ...(items.length ? items.map(row) : [h('tr', {}, h('td', { colspan: 6 }, 'Nothing waiting.'))]),
    );
  }

  function row(item: Item): HTMLElement {
    const mine = item.claimedBy === session.user.userId;
    const isClaimed = mine || Number(item.claimExpiresAtMs ?? 0) > Date.now();
    const claim = async (): Promise<void> => {
      try {
        await api('ReviewService/ClaimEvent', { eventId: item.itemId });
        announce('Claimed. Open the evidence to review it.');
        session.go(`#/item/${item.itemId}`);
      } catch (err) {
        announce(`Could not claim: ${(err as Error).message}`, 'error');
      }
    };
    const isFirst = kind.kind === 'QUEUE_KIND_FIRST_REVIEW';
    return h(
      'tr',
      { 'data-id': item.itemId },
      h('td', {}, h('a', { href: `#/item/${item.itemId}`, class: 'rowlink' }, when(item.occurredAtMs))),
      h('td', {}, item.cameraId),
      h('td', {}, Number(item.confidence).toFixed(2)),
      h('td', {}, enumLabel(item.state, 'REVIEW_STATE_')),
      h('td', {}, mine ? 'you' : isClaimed ? 'someone else' : '—'),
      h(
        'td',
        {},
        isFirst && !mine
          ? h('button', { type: 'button', onclick: () => void claim(), disabled: isClaimed }, 'Claim')
          : h('a', { href: `#/item/${item.itemId}` }, 'Open'),
      ),
    );
  }

  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void load();
      },
    },
    field('Camera', camera),
    field('From', since),
    field('To', until),
    field('Min. confidence', minConfidence),
    field('Sort', order),
    h('button', { type: 'submit' }, 'Apply'),
  );
  main.append(
    h('h1', {}, 'Review queue'),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Queue' },
      kinds.map((k) =>
        h('a', { href: `#/queue/${k.kind}`, 'aria-current': k.kind === kind.kind ? 'page' : undefined }, k.label),
      ),
    ),
    form,
    count,
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Queue items (scrolls sideways)' },
      h(
        'table',
        { 'aria-label': kind.label },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Occurred', 'Camera', 'Confidence', 'State', 'Claimed', 'Action'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        tbody,
      ),
    ),
    h('p', { class: 'muted' }, 'Keys: j / k move between rows, Enter opens, c claims the focused row.'),
  );
  await load();
  const onKey = (e: KeyboardEvent): void => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    const links = [...tbody.querySelectorAll<HTMLAnchorElement>('a.rowlink')];
    const index = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (e.key === 'j' || e.key === 'k') {
      const next = links[Math.max(0, Math.min(links.length - 1, index + (e.key === 'j' ? 1 : -1)))];
      next?.focus();
      e.preventDefault();
    }
    if (e.key === 'c' && index >= 0) links[index]!.closest('tr')?.querySelector('button')?.click();
  };
  document.addEventListener('keydown', onKey);
  const timer = setInterval(() => void load().catch(() => undefined), POLL_MS);
  return () => {
    clearInterval(timer);
    document.removeEventListener('keydown', onKey);
  };
}
