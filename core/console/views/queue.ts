/// <reference lib="dom" />
import { call } from '../api.js';
import type { Session } from '../app.js';
import { announce, field, h } from '../dom.js';
import { REVIEW_STATE_LABEL } from '../labels.js';
import { clockSeconds, dateTimeSeconds } from '../time.js';
import {
  ListQueueRequest,
  ListQueueResponse,
  QueueKind,
  QueueOrder,
  ReviewItem,
  queueKindToJSON,
  queueOrderFromJSON,
  queueOrderToJSON,
} from '../../../proto/gen/zebra/v1/review_service.js';
import { EARLIEST_DAY, cameraKey, checkFilters } from './queue-filters.js';
import type { QueueFilters } from './queue-filters.js';
import { claim, isHeldByOther, isMine, nextItemId } from './next.js';

interface Tab {
  readonly kind: QueueKind;
  readonly label: string;
  readonly supervisorOnly: boolean;
}

const FIRST: Tab = { kind: QueueKind.QUEUE_KIND_FIRST_REVIEW, label: 'First review', supervisorOnly: false };
const LINK: Tab = { kind: QueueKind.QUEUE_KIND_LINK, label: 'Link reference', supervisorOnly: false };
const SECOND: Tab = { kind: QueueKind.QUEUE_KIND_SECOND_REVIEW, label: 'Second review', supervisorOnly: true };
const APPEAL: Tab = { kind: QueueKind.QUEUE_KIND_APPEAL, label: 'Appeals', supervisorOnly: true };

/** A supervisor's work comes first on a supervisor's screen: their home is Second review. */
export function tabsFor(isSupervisor: boolean): readonly Tab[] {
  return isSupervisor ? [SECOND, APPEAL, FIRST, LINK] : [FIRST, LINK];
}

const ORDERS: readonly [QueueOrder, string][] = [
  [QueueOrder.QUEUE_ORDER_OLDEST_FIRST, 'Oldest first'],
  [QueueOrder.QUEUE_ORDER_NEWEST_FIRST, 'Newest first'],
  [QueueOrder.QUEUE_ORDER_CONFIDENCE_DESC, 'Highest confidence first'],
];

/** First-review items by who holds them; the other stages have one state each. */
const HOLDS = [
  ['', 'Any'],
  ['waiting', 'Waiting (unclaimed)'],
  ['mine', 'Claimed by you'],
  ['other', 'Claimed by another reviewer'],
] as const;

const POLL_MS = 5000;
const PAGE = 200;

/** The review queue: tabs with counts, filters from lists, claim and claim-next, keys, live updates. */
export async function renderQueue(session: Session, main: HTMLElement, arg: string): Promise<() => void> {
  const tabs = tabsFor(session.roles.includes('supervisor'));
  const tab = tabs.find((t) => queueKindToJSON(t.kind) === arg) ?? tabs[0]!;
  const isFirst = tab.kind === QueueKind.QUEUE_KIND_FIRST_REVIEW;
  const camera = h('select', { name: 'camera' }, h('option', { value: '' }, 'All cameras'));
  const since = h('input', { type: 'date', name: 'since', min: EARLIEST_DAY });
  const until = h('input', { type: 'date', name: 'until', min: EARLIEST_DAY });
  const minConfidence = h('input', { type: 'text', name: 'confidence', inputmode: 'decimal', placeholder: 'any' });
  const hold = h(
    'select',
    { name: 'hold' },
    HOLDS.map(([v, l]) => h('option', { value: v }, l)),
  );
  const order = h(
    'select',
    { name: 'order' },
    ORDERS.map(([v, l]) => h('option', { value: queueOrderToJSON(v) }, l)),
  );
  const filterError = h('p', { class: 'error', role: 'alert' });
  const list = h('ul', { class: 'items', 'aria-label': `${tab.label} items` });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const pollError = h('p', { class: 'error', role: 'alert' });
  const counts = new Map<QueueKind, HTMLElement>();
  /** Every camera seen in any queue this session, for the camera list. */
  const cameras = new Map<string, { siteId: string; cameraId: string }>();
  let known = new Set<string>();
  let isFirstLoad = true;
  let lastDrawn = '';
  let applied: QueueFilters = { siteId: '', cameraId: '', sinceMs: 0, untilMs: 0, minConfidence: 0 };

  const listFor = async (kind: QueueKind, f: QueueFilters): Promise<ReviewItem[]> => {
    const { items } = await call(
      'ReviewService/ListQueue',
      ListQueueRequest,
      ListQueueResponse,
      ListQueueRequest.fromPartial({
        kind,
        cameraId: f.cameraId,
        minConfidence: f.minConfidence,
        sinceMs: f.sinceMs,
        untilMs: f.untilMs,
        order: queueOrderFromJSON(order.value),
        pageSize: PAGE,
      }),
    );
    return items.filter((i) => !f.siteId || i.siteId === f.siteId);
  };

  function rememberCameras(items: readonly ReviewItem[]): void {
    let added = false;
    for (const i of items) {
      const key = cameraKey(i.siteId, i.cameraId);
      if (!cameras.has(key)) {
        cameras.set(key, { siteId: i.siteId, cameraId: i.cameraId });
        added = true;
      }
    }
    if (!added) return;
    const chosen = camera.value;
    const bySite = new Map<string, string[]>();
    for (const c of cameras.values()) bySite.set(c.siteId, [...(bySite.get(c.siteId) ?? []), c.cameraId]);
    camera.replaceChildren(
      h('option', { value: '' }, 'All cameras'),
      ...[...bySite.keys()].sort().map((site) =>
        h(
          'optgroup',
          { label: `Intersection ${site}` },
          bySite
            .get(site)!
            .sort()
            .map((cam) => h('option', { value: cameraKey(site, cam) }, `${site} · camera ${cam}`)),
        ),
      ),
    );
    camera.value = chosen;
  }

  function visible(items: readonly ReviewItem[]): ReviewItem[] {
    const now = Date.now();
    const me = session.user.userId;
    if (!isFirst || !hold.value) return [...items];
    return items.filter((i) =>
      hold.value === 'mine'
        ? isMine(i, me, now)
        : hold.value === 'other'
          ? isHeldByOther(i, me, now)
          : !isMine(i, me, now) && !isHeldByOther(i, me, now),
    );
  }

  async function load(): Promise<void> {
    const perTab = await Promise.all(tabs.map((t) => listFor(t.kind, applied)));
    tabs.forEach((t, i) => {
      const n = perTab[i]!.length;
      counts.get(t.kind)!.textContent = n >= PAGE ? `${PAGE}+` : String(n);
      rememberCameras(perTab[i]!);
    });
    const items = visible(perTab[tabs.indexOf(tab)]!);
    const fresh = items.filter((i) => !known.has(i.itemId));
    if (!isFirstLoad && fresh.length > 0)
      announce(`${fresh.length} new item${fresh.length === 1 ? '' : 's'} in ${tab.label.toLowerCase()}`);
    isFirstLoad = false;
    known = new Set(items.map((i) => i.itemId));
    count.textContent = `${items.length} item${items.length === 1 ? '' : 's'} shown`;
    pollError.textContent = '';
    // Redrawn only when something changed, so focus and the keyboard position stay put.
    const drawn = JSON.stringify(items.map((i) => ReviewItem.toJSON(i)));
    if (drawn === lastDrawn) return;
    lastDrawn = drawn;
    const focusedId = (document.activeElement as HTMLElement | null)?.closest('li')?.dataset.id;
    list.replaceChildren(...(items.length ? items.map(card) : [h('li', { class: 'empty' }, 'Nothing waiting.')]));
    if (focusedId) list.querySelector<HTMLElement>(`li[data-id="${CSS.escape(focusedId)}"] a.rowlink`)?.focus();
  }

  const claimAndOpen = async (itemId: string): Promise<void> => {
    try {
      await claim(itemId);
      announce('Claimed. The evidence opens with the item.', 'info', true);
      session.go(`#/item/${itemId}`);
    } catch (err) {
      announce(`Could not claim: ${(err as Error).message}`, 'error');
    }
  };

  const claimNext = async (): Promise<void> => {
    try {
      const id = await nextItemId(tab.kind, session.user.userId, '');
      if (!id) return announce('Nothing waiting in this queue.');
      if (isFirst) announce('Claimed the next item. The evidence opens with it.', 'info', true);
      session.go(`#/item/${id}`);
    } catch (err) {
      announce(`Could not take the next item: ${(err as Error).message}`, 'error');
    }
  };

  function holdText(item: ReviewItem): string {
    const now = Date.now();
    if (isMine(item, session.user.userId, now))
      return `Claimed by you until ${clockSeconds(item.claimExpiresAtMs)} UTC`;
    if (isHeldByOther(item, session.user.userId, now))
      return `Claimed by another reviewer until ${clockSeconds(item.claimExpiresAtMs)} UTC`;
    return isFirst ? 'Unclaimed' : 'Open to any supervisor';
  }

  function card(item: ReviewItem): HTMLElement {
    const now = Date.now();
    const mine = isMine(item, session.user.userId, now);
    const held = isHeldByOther(item, session.user.userId, now);
    const action =
      isFirst && !mine
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary',
              onclick: () => void claimAndOpen(item.itemId),
              disabled: held,
              'aria-label': `Claim the event of ${dateTimeSeconds(item.occurredAtMs)} on camera ${item.cameraId}`,
            },
            'Claim',
          )
        : h('a', { href: `#/item/${item.itemId}`, class: 'button' }, mine ? 'Continue' : 'Open');
    return h(
      'li',
      { 'data-id': item.itemId, class: 'item' },
      h('a', { href: `#/item/${item.itemId}`, class: 'rowlink' }, h('strong', {}, dateTimeSeconds(item.occurredAtMs))),
      h('span', { class: 'where' }, `${item.siteId} · camera ${item.cameraId}`),
      h('span', { class: 'conf' }, `confidence ${item.confidence.toFixed(2)}`),
      h('span', { class: 'state' }, REVIEW_STATE_LABEL[item.state]),
      h('span', { class: 'hold' }, holdText(item)),
      h('span', { class: 'act' }, action),
    );
  }

  const apply = (): void => {
    const checked = checkFilters(
      { camera: camera.value, since: since.value, until: until.value, minConfidence: minConfidence.value },
      Date.now(),
    );
    if (!checked.ok) {
      filterError.textContent = `Filter not applied: ${checked.error}`;
      return;
    }
    filterError.textContent = '';
    applied = checked.filters;
    void load().catch(showPollError);
  };
  const showPollError = (err: unknown): void => {
    pollError.textContent = `Could not refresh the queue: ${(err as Error).message}. Retrying every ${POLL_MS / 1000} s.`;
  };

  const form = h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        apply();
      },
    },
    field('Camera', camera, 'Cameras with work in any queue'),
    field('From', since),
    field('To', until),
    field('Minimum confidence', minConfidence, '0 to 1'),
    isFirst ? field('Claimed', hold) : null,
    field('Sort', order),
    h('button', { type: 'submit' }, 'Apply'),
  );
  main.append(
    h('h1', {}, 'Review queue'),
    h(
      'nav',
      { class: 'tabs', 'aria-label': 'Queue' },
      tabs.map((t) => {
        const n = h('span', { class: 'count' }, '…');
        counts.set(t.kind, n);
        return h(
          'a',
          { href: `#/queue/${queueKindToJSON(t.kind)}`, 'aria-current': t.kind === tab.kind ? 'page' : undefined },
          `${t.label} `,
          n,
        );
      }),
    ),
    // Folded on a phone, so the items and their Claim buttons come first; open on a desk.
    h(
      'details',
      { class: 'filter-box', open: window.matchMedia('(min-width: 801px)').matches },
      h('summary', {}, 'Filters and sort'),
      form,
    ),
    filterError,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: 'primary', onclick: () => void claimNext() },
        isFirst ? 'Claim next (n)' : 'Open next (n)',
      ),
      count,
    ),
    pollError,
    list,
    h(
      'p',
      { class: 'muted keys' },
      `Keys: n takes the next item · j / k move between items · Enter opens${isFirst ? ' · c claims the focused item' : ''}.`,
    ),
  );
  await load();
  const onKey = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    const links = [...list.querySelectorAll<HTMLAnchorElement>('a.rowlink')];
    const index = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (e.key === 'j' || e.key === 'k') {
      const next = links[Math.max(0, Math.min(links.length - 1, index + (e.key === 'j' ? 1 : -1)))];
      next?.focus();
      e.preventDefault();
    } else if (e.key === 'c' && index >= 0) {
      links[index]!.closest('li')?.querySelector<HTMLButtonElement>('button')?.click();
    } else if (e.key === 'n') {
      e.preventDefault();
      void claimNext();
    }
  };
  document.addEventListener('keydown', onKey);
  const timer = setInterval(() => void load().catch(showPollError), POLL_MS);
  return () => {
    clearInterval(timer);
    document.removeEventListener('keydown', onKey);
  };
}
