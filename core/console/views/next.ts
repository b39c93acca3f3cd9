/// <reference lib="dom" />
import { ApiError, call } from '../api.js';
import {
  ClaimEventRequest,
  ClaimEventResponse,
  ListQueueRequest,
  ListQueueResponse,
  QueueKind,
  QueueOrder,
} from '../../../proto/gen/zebra/v1/review_service.js';
import type { ReviewItem } from '../../../proto/gen/zebra/v1/review_service.js';

/** One queue, oldest first, with no filter: what "next" walks through. */
export async function queueItems(kind: QueueKind): Promise<ReviewItem[]> {
  const { items } = await call(
    'ReviewService/ListQueue',
    ListQueueRequest,
    ListQueueResponse,
    ListQueueRequest.fromPartial({ kind, order: QueueOrder.QUEUE_ORDER_OLDEST_FIRST, pageSize: 200 }),
  );
  return items;
}

/** Whether `item` is claimed by the caller (the server names only the caller's own claims). */
export function isMine(item: ReviewItem, userId: string, nowMs: number): boolean {
  return item.claimedBy === userId && item.claimExpiresAtMs > nowMs;
}

/** Claimed by someone else: the server says when the claim ends, never by whom. */
export function isHeldByOther(item: ReviewItem, userId: string, nowMs: number): boolean {
  return item.claimedBy !== userId && item.claimExpiresAtMs > nowMs;
}

export async function claim(itemId: string): Promise<ClaimEventResponse> {
  return call(
    'ReviewService/ClaimEvent',
    ClaimEventRequest,
    ClaimEventResponse,
    ClaimEventRequest.fromPartial({ eventId: itemId }),
  );
}

/**
 * The item to go to after `doneId` in the same stage: in first review, the caller's next claimed
 * item, or else the oldest unclaimed one, claimed now; in the other stages the oldest waiting
 * one. Undefined when nothing is left.
 */
export async function nextItemId(kind: QueueKind, userId: string, doneId: string): Promise<string | undefined> {
  const items = (await queueItems(kind)).filter((i) => i.itemId !== doneId);
  if (kind !== QueueKind.QUEUE_KIND_FIRST_REVIEW) return items[0]?.itemId;
  const now = Date.now();
  const mine = items.find((i) => isMine(i, userId, now));
  if (mine) return mine.itemId;
  for (const item of items.filter((i) => !isHeldByOther(i, userId, now))) {
    try {
      await claim(item.itemId);
      return item.itemId;
    } catch (err) {
      // Someone claimed it first (a refused transition or a version conflict): try the next one.
      if (!(err instanceof ApiError && (err.status === 409 || err.status === 412))) throw err;
    }
  }
  return undefined;
}
