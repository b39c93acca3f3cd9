/// <reference lib="dom" />
import { call } from '../api.js';
import type { Session } from '../app.js';
import { announce, field, h } from '../dom.js';
import { REVIEW_STATE_LABEL } from '../labels.js';
import { clockSeconds, dateTimeMs, duration } from '../time.js';
import { ListReasonsRequest, ListReasonsResponse, QueueKind } from '../../../proto/gen/zebra/v1/review_service.js';
import { decisionPanel } from './decision.js';
import type { PanelKey } from './decision.js';
import { openEvidence } from './evidence.js';
import { facts, technicalDetails, warnings } from './facts.js';
import { PURPOSES, jumpLink, keyLegend, load, purposeFor, referenceCard, stageOf } from './item-parts.js';
import { nextItemId } from './next.js';
import { overlayLegend, signalTimeline } from './overlay.js';

/** One event: warnings, evidence with overlays, the signal timeline, facts, and the decision. */
export async function renderItem(session: Session, main: HTMLElement, itemId: string): Promise<() => void> {
  const canReview = session.roles.includes('reviewer') || session.roles.includes('supervisor');
  const [view, { reasons }] = await Promise.all([
    load(canReview, itemId, session.user.userId),
    call('ReviewService/ListReasons', ListReasonsRequest, ListReasonsResponse, {}),
  ]);
  const { event, state } = view;
  let viewedSinceMs = Date.now() - view.viewedMs;
  let hasOpened = view.viewedMs > 0;
  const frames = h('div', { class: 'frames' });
  const purpose = h(
    'select',
    { name: 'purpose' },
    PURPOSES.map((p) => h('option', { value: p }, p)),
  );
  purpose.value = purposeFor(state, canReview);
  const openButton = h('button', { type: 'button', class: 'primary' }, 'Open evidence ', h('kbd', {}, 'o'));
  const countdown = h('p', { class: 'muted countdown', 'aria-live': 'polite' });
  const evidenceError = h('p', { class: 'error', role: 'alert' });
  let objectUrls: string[] = [];
  let video: HTMLVideoElement | undefined;
  let frameMs = 200;
  const revokeObjectUrls = (): void => {
    for (const u of objectUrls) URL.revokeObjectURL(u);
    objectUrls = [];
  };

  /** Set when the page goes away: a late answer must not touch the next page. */
  let isGone = false;
  async function open(): Promise<void> {
    try {
      const opened = await openEvidence(event, itemId, purpose.value);
      if (isGone) {
        for (const u of opened.objectUrls) URL.revokeObjectURL(u);
        return;
      }
      revokeObjectUrls();
      objectUrls = opened.objectUrls;
      video = opened.video;
      frameMs = opened.frameMs;
      if (!hasOpened) viewedSinceMs = Date.now();
      hasOpened = true;
      frames.replaceChildren(...opened.figures);
      evidenceError.textContent = opened.unmatched
        ? `${opened.unmatched} evidence link(s) named no object of this event and are not shown.`
        : '';
      announce(`Evidence opened for “${purpose.value}”; the read is recorded in the audit log.`);
      tick();
    } catch (err) {
      if (isGone) return;
      evidenceError.textContent = `Could not open the evidence: ${(err as Error).message}`;
      announce(evidenceError.textContent, 'error');
    }
  }
  openButton.addEventListener('click', () => void open());

  const isReady = (): boolean => hasOpened && Date.now() - viewedSinceMs >= view.minViewMs;
  const stage = stageOf(state);
  const done = async (message: string): Promise<void> => {
    const next = stage === undefined ? undefined : await nextItemId(stage, session.user.userId, itemId);
    if (next) {
      announce(`${message} Next item.`, 'info', true);
      session.go(`#/item/${next}`);
    } else {
      announce(`${message} Nothing more is waiting in this queue.`, 'info', true);
      session.go('#/queue');
    }
  };
  const panel = decisionPanel({
    session,
    itemId,
    state,
    version: view.version,
    isMine: view.isMine,
    isHeldByOther: view.isHeldByOther,
    canReview,
    reasons,
    countdown,
    isReady,
    done,
  });

  function tick(): void {
    const remaining = hasOpened ? Math.max(0, view.minViewMs - (Date.now() - viewedSinceMs)) : view.minViewMs;
    for (const b of panel.gated) b.disabled = !isReady();
    countdown.textContent = !hasOpened
      ? `Open the evidence first; a decision is possible ${duration(view.minViewMs)} after that.`
      : remaining === 0
        ? 'Minimum viewing time reached: you may decide.'
        : `Decision possible in ${Math.ceil(remaining / 1000)} s (minimum viewing time ${duration(view.minViewMs)}).`;
  }

  const step = (frames: number): void => {
    if (!video) return;
    video.pause();
    video.currentTime = Math.max(0, Math.min(video.duration || 0, video.currentTime + (frames * frameMs) / 1000));
  };
  const goNext = async (): Promise<void> => {
    if (stage === undefined) return session.go('#/queue');
    try {
      const next = await nextItemId(stage, session.user.userId, itemId);
      if (next) session.go(`#/item/${next}`);
      else announce('Nothing more is waiting in this queue.');
    } catch (err) {
      announce(`Could not take the next item: ${(err as Error).message}`, 'error');
    }
  };
  const pageKeys: PanelKey[] = [
    ...(event.evidence.length ? [{ key: 'o', what: 'open evidence', run: () => void open() }] : []),
    // Clip keys only where there is a clip (Space scrolls the page otherwise).
    ...(event.evidence.some((e) => e.role === 'clip')
      ? [
          { key: 'Space', what: 'play / pause', run: () => (video?.paused ? void video.play() : video?.pause()) },
          { key: ',', what: 'frame back', run: () => step(-1) },
          { key: '.', what: 'frame forward', run: () => step(1) },
        ]
      : []),
  ];
  const endKeys: PanelKey[] = [
    { key: 'n', what: 'next item (this one stays as it is)', run: () => void goNext() },
    { key: 'Esc', what: 'back to the queue', run: () => session.go('#/queue') },
  ];
  const panelKeys = panel.keys.filter((k) => !/^[2-9]$/.test(k.key));
  const legend = keyLegend([
    ...pageKeys,
    ...panelKeys.map((k) => (k.key === '1' ? { key: '1–9', what: 'reason' } : k)),
    ...endKeys,
  ]);
  const alerts = warnings(event, view.signatureKeyId);
  const decisionAtMs = event.evidence.find((e) => e.role === 'decision')?.frameCapturedAtMs;
  const heading = `Event at intersection ${event.siteId}, camera ${event.cameraId}`;
  main.append(
    h('p', {}, h('a', { href: canReview ? '#/queue' : '#/audit' }, '← Back to the queue')),
    h('h1', {}, heading),
    h(
      'p',
      { class: 'muted' },
      `${dateTimeMs(event.occurredAtMs)} · ${REVIEW_STATE_LABEL[state]}${view.isMine ? ` · claimed by you until ${clockSeconds(view.claimExpiresAtMs)} UTC` : view.isHeldByOther ? ` · claimed by another reviewer until ${clockSeconds(view.claimExpiresAtMs)} UTC` : ''}`,
    ),
    h(
      'nav',
      { class: 'jump', 'aria-label': 'On this page' },
      jumpLink('evidence', 'Evidence'),
      jumpLink('facts', 'Signal and facts'),
      jumpLink('decide', 'Decision'),
    ),
    ...(alerts.length
      ? [
          h(
            'section',
            { class: 'warn', 'aria-label': 'Warnings' },
            h('strong', {}, 'Check before deciding'),
            h(
              'ul',
              {},
              alerts.map((a) => h('li', {}, a)),
            ),
          ),
        ]
      : []),
    ...(view.reference ? [referenceCard(view.reference)] : []),
    legend,
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        {},
        h(
          'section',
          { id: 'evidence', 'aria-labelledby': 'evidence-h' },
          h('h2', { id: 'evidence-h' }, 'Evidence'),
          event.evidence.length
            ? h('div', { class: 'actions' }, field('Purpose', purpose), openButton)
            : h('p', {}, `No evidence was published: ${event.evidenceStatusDetail || 'no reason recorded'}`),
          evidenceError,
          overlayLegend(),
          frames,
        ),
        h(
          'section',
          { id: 'facts', 'aria-labelledby': 'facts-h' },
          h('h2', { id: 'facts-h' }, 'Signal and what the device recorded'),
          signalTimeline({
            state: event.signal?.state ?? 0,
            stateBeganAtMs: event.signal?.stateBeganAtMs ?? event.occurredAtMs,
            entryAtMs: event.occurredAtMs,
            decisionAtMs,
            frames: event.evidence.flatMap((e) => [
              { label: e.role, atMs: e.frameCapturedAtMs },
              ...(e.clipEndCapturedAtMs > 0 ? [{ label: 'clip end', atMs: e.clipEndCapturedAtMs }] : []),
            ]),
          }),
          facts(event, view.signatureKeyId),
          technicalDetails(event, view.signatureKeyId),
        ),
      ),
      h('div', { class: 'side' }, panel.element),
    ),
  );
  tick();
  // Claimed to be reviewed: the evidence opens with the item (the read is audited with its purpose).
  if (view.isMine && stage === QueueKind.QUEUE_KIND_FIRST_REVIEW && event.evidence.length) void open();
  const keys = new Map<string, () => void>();
  for (const k of [...pageKeys, ...panel.keys, ...endKeys])
    keys.set(k.key === 'Space' ? ' ' : k.key === 'Esc' ? 'Escape' : k.key, k.run);
  const onKey = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const t = e.target;
    const typing =
      t instanceof HTMLTextAreaElement ||
      t instanceof HTMLSelectElement ||
      (t instanceof HTMLInputElement && t.type !== 'radio' && t.type !== 'checkbox');
    if (typing) return;
    // Enter on a link or a button does what it says there.
    if (e.key === 'Enter' && (t instanceof HTMLAnchorElement || t instanceof HTMLButtonElement)) return;
    if (e.key === ' ' && (t instanceof HTMLButtonElement || t instanceof HTMLVideoElement)) return;
    const run = keys.get(e.key);
    if (!run) return;
    e.preventDefault();
    run();
  };
  document.addEventListener('keydown', onKey);
  const timer = setInterval(tick, 250);
  return () => {
    isGone = true;
    clearInterval(timer);
    document.removeEventListener('keydown', onKey);
    revokeObjectUrls();
  };
}
