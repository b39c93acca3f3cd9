/// <reference lib="dom" />
import { call } from '../api.js';
import { h } from '../dom.js';
import type { InfractionEvent } from '../../../proto/gen/zebra/v1/event.js';
import { GetEventRequest, GetEventResponse } from '../../../proto/gen/zebra/v1/event_service.js';
import { ReviewState } from '../../../proto/gen/zebra/v1/review.js';
import { GetReviewItemRequest, GetReviewItemResponse, QueueKind } from '../../../proto/gen/zebra/v1/review_service.js';
import type { LawfulReference } from '../../../proto/gen/zebra/v1/review_service.js';

/** The item page's data and its small parts. */

export const PURPOSES = ['first review', 'second review', 'appeal review', 'audit', 'reference check'] as const;

export interface Loaded {
  readonly event: InfractionEvent;
  readonly state: ReviewState;
  readonly version: number;
  readonly isMine: boolean;
  readonly isHeldByOther: boolean;
  readonly claimExpiresAtMs: number;
  readonly reference?: LawfulReference;
  readonly minViewMs: number;
  readonly viewedMs: number;
  readonly signatureKeyId: string;
}

export async function load(canReview: boolean, itemId: string, userId: string): Promise<Loaded> {
  if (!canReview) {
    const v = await call('EventService/GetEvent', GetEventRequest, GetEventResponse, { eventId: itemId });
    return {
      event: v.event!,
      state: v.reviewState,
      version: 0,
      isMine: false,
      isHeldByOther: false,
      claimExpiresAtMs: 0,
      minViewMs: 0,
      viewedMs: 0,
      signatureKeyId: v.signatureKeyId,
    };
  }
  const v = await call('ReviewService/GetReviewItem', GetReviewItemRequest, GetReviewItemResponse, { itemId });
  const now = Date.now();
  const item = v.item;
  return {
    event: v.event!,
    state: item?.state ?? ReviewState.REVIEW_STATE_UNSPECIFIED,
    version: item?.version ?? 0,
    isMine: !!item && item.claimedBy === userId && item.claimExpiresAtMs > now,
    isHeldByOther: !!item && item.claimedBy !== userId && item.claimExpiresAtMs > now,
    claimExpiresAtMs: item?.claimExpiresAtMs ?? 0,
    reference: v.reference,
    minViewMs: v.minEvidenceViewMs,
    viewedMs: v.evidenceViewedMs,
    signatureKeyId: v.signatureKeyId,
  };
}

/** The queue an item in `state` belongs to, for "next". */
export function stageOf(state: ReviewState): QueueKind | undefined {
  if (state === ReviewState.REVIEW_STATE_QUEUED || state === ReviewState.REVIEW_STATE_IN_REVIEW)
    return QueueKind.QUEUE_KIND_FIRST_REVIEW;
  if (state === ReviewState.REVIEW_STATE_CONFIRMED) return QueueKind.QUEUE_KIND_LINK;
  if (state === ReviewState.REVIEW_STATE_LINKED) return QueueKind.QUEUE_KIND_SECOND_REVIEW;
  if (state === ReviewState.REVIEW_STATE_APPEALED) return QueueKind.QUEUE_KIND_APPEAL;
  return undefined;
}

export function purposeFor(state: ReviewState, canReview: boolean): string {
  if (!canReview) return 'audit';
  if (state === ReviewState.REVIEW_STATE_LINKED) return 'second review';
  if (state === ReviewState.REVIEW_STATE_APPEALED) return 'appeal review';
  if (state === ReviewState.REVIEW_STATE_CONFIRMED) return 'reference check';
  return 'first review';
}

export function referenceCard(reference: LawfulReference): HTMLElement {
  return h(
    'dl',
    { class: 'facts card' },
    h('dt', {}, 'Citation'),
    h('dd', {}, reference.citationNumber),
    h('dt', {}, 'Issuing officer'),
    h('dd', {}, reference.issuingOfficer),
    h('dt', {}, 'Subject'),
    h('dd', {}, reference.subjectRef),
  );
}

/** A link to a section of this page that moves there without changing the address (the router's). */
export function jumpLink(id: string, label: string): HTMLElement {
  return h(
    'a',
    {
      href: `#${id}`,
      onclick: (e: Event) => {
        e.preventDefault();
        const target = document.getElementById(id);
        target?.scrollIntoView({ block: 'start' });
        const heading = target?.querySelector<HTMLElement>('h2');
        heading?.setAttribute('tabindex', '-1');
        heading?.focus({ preventScroll: true });
      },
    },
    label,
  );
}

export function keyLegend(keys: readonly { key: string; what: string }[]): HTMLElement {
  return h(
    'div',
    { class: 'keys card', role: 'note', 'aria-label': 'Keyboard keys' },
    h('strong', {}, 'Keys '),
    keys.map((k) => h('span', { class: 'key' }, h('kbd', {}, k.key), ` ${k.what}`)),
  );
}
