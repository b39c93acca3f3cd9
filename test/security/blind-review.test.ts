import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../cli/api-client.js';
import { confirmAndLink, ingestEvents, openAndView, REVIEW_OVERRIDES } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';

/** A supervisor must not learn who confirmed an item still waiting for its second review. */
describe('the second review stays blind', () => {
  let stack: TestStack;
  let rita: ApiClient;
  let rex: ApiClient;
  let sam: ApiClient;

  beforeAll(async () => {
    stack = await startTestStack(REVIEW_OVERRIDES);
    rita = await stack.core.person('rita', ['reviewer']);
    rex = await stack.core.person('rex', ['reviewer']);
    sam = await stack.core.person('sam', ['supervisor']);
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const agreement = () => sam.call<unknown>('/zebra.v1.ReviewService/GetAgreement', {});

  it('shows GetAgreement unchanged when an item enters the second-review queue', async () => {
    const [decided, pending] = await ingestEvents(stack, 2);
    // Some closed history, so the figures are not simply empty.
    await rex.call('/zebra.v1.ReviewService/ClaimEvent', { eventId: decided!.eventId });
    await openAndView(rex, decided!.eventId);
    await rex.call('/zebra.v1.ReviewService/DecideEvent', {
      eventId: decided!.eventId,
      decision: 'DECISION_REJECT',
      reasonCode: 'not_a_pedestrian',
      expectedVersion: 2,
    });
    const before = await agreement();
    await confirmAndLink(rita, pending!.eventId, 'DL-9');
    const queue = await sam.call<{ items: { itemId: string }[] }>('/zebra.v1.ReviewService/ListQueue', {
      kind: 'QUEUE_KIND_SECOND_REVIEW',
    });
    expect(queue.items.map((i) => i.itemId)).toContain(pending!.eventId);
    expect(await agreement()).toEqual(before);
  });

  it('never names the first reviewer to a supervisor while the item is pending', async () => {
    const [event] = await ingestEvents(stack, 1);
    await rita.call('/zebra.v1.ReviewService/ClaimEvent', { eventId: event!.eventId });
    const seen: unknown[] = [
      await sam.call('/zebra.v1.ReviewService/ListQueue', { kind: 'QUEUE_KIND_FIRST_REVIEW' }),
      await sam.call('/zebra.v1.ReviewService/GetReviewItem', { itemId: event!.eventId }),
      await sam.call('/zebra.v1.EventService/GetEvent', { eventId: event!.eventId }),
      await sam.call('/zebra.v1.EventService/ListEvents', {}),
    ];
    const claimed = (
      await sam.call<{ items: { itemId: string; claimedBy: string; claimExpiresAtMs: number }[] }>(
        '/zebra.v1.ReviewService/ListQueue',
        { kind: 'QUEUE_KIND_FIRST_REVIEW' },
      )
    ).items.find((i) => i.itemId === event!.eventId);
    // Claimed, so no one else takes it, but not by whom.
    expect(claimed).toMatchObject({ claimedBy: '' });
    expect(claimed!.claimExpiresAtMs).toBeGreaterThan(Date.now());
    // The claimant still sees their own claim.
    const own = await rita.call<{ item: { claimedBy: string } }>('/zebra.v1.ReviewService/GetReviewItem', {
      itemId: event!.eventId,
    });
    expect(own.item.claimedBy).toBe('rita');

    // The claimant claims again (renewing the lease), confirms and links.
    await confirmAndLink(rita, event!.eventId, 'DL-10');
    seen.push(
      await sam.call('/zebra.v1.ReviewService/ListQueue', { kind: 'QUEUE_KIND_SECOND_REVIEW' }),
      await sam.call('/zebra.v1.ReviewService/GetReviewItem', { itemId: event!.eventId }),
      await sam.call('/zebra.v1.EventService/GetEvent', { eventId: event!.eventId }),
      await sam.call('/zebra.v1.ReviewService/GetAgreement', {}),
      await sam.call('/zebra.v1.LedgerService/GetBalance', { subjectRef: 'DL-10' }),
      await sam.call('/zebra.v1.AuditService/GetTransparencyReport', {}),
    );
    expect(JSON.stringify(seen)).not.toMatch(/rita/);
  });
});
