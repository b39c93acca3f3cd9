import { status } from '@grpc/grpc-js';
import { Objm } from '@nats-io/obj';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../cli/api-client.js';
import { sweepRetention } from '../../core/index.js';
import { EVIDENCE_BUCKET, ReviewState } from '../../proto/index.js';
import type { InfractionEvent } from '../../proto/index.js';
import { approve, confirmAndLink, ingestEvents, openAndView, TEST_MIN_VIEW_MS } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';

const DAY_MS = 86_400_000;

interface Figures {
  reviewerId: string;
  knownAnswers: number;
  knownAnswersAgreed: number;
  confirmations: number;
  confirmationsApproved: number;
  rejections: number;
  medianDecisionMs: number;
}

describe('reviewer quality, the transparency report and retention', () => {
  let stack: TestStack;
  let rita: ApiClient;
  let rex: ApiClient;
  let sam: ApiClient;
  let ada: ApiClient;
  let events: InfractionEvent[];

  beforeAll(async () => {
    // Every second item a known answer, so one short queue is enough to see one.
    stack = await startTestStack({ review: { minEvidenceViewMs: TEST_MIN_VIEW_MS, knownAnswerShare: 0.5 } });
    [rita, rex, sam, ada] = await Promise.all([
      stack.core.person('rita', ['reviewer']),
      stack.core.person('rex', ['reviewer']),
      stack.core.person('sam', ['supervisor']),
      stack.core.person('ada', ['auditor']),
    ]);
    events = await ingestEvents(stack, 5);
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const reject = async (client: ApiClient, eventId: string, reasonCode: string): Promise<void> => {
    const { version } = await client.call<{ version: number }>('/zebra.v1.ReviewService/ClaimEvent', { eventId });
    await openAndView(client, eventId);
    await client.call('/zebra.v1.ReviewService/DecideEvent', {
      eventId,
      decision: 'DECISION_REJECT',
      reasonCode,
      expectedVersion: version,
    });
  };

  it('mixes a known-answer item into first-review work and scores the answer', async () => {
    const source = events[0]!.eventId;
    await approve(sam, source, await confirmAndLink(rita, source, 'DL-1'));
    await expect(
      sam.call('/zebra.v1.ReviewService/SeedKnownAnswer', {
        sourceEventId: events[1]!.eventId,
        expectedDecision: 'DECISION_CONFIRM',
      }),
    ).rejects.toMatchObject({ code: status.FAILED_PRECONDITION }); // not decided yet
    const { itemId } = await sam.call<{ itemId: string }>('/zebra.v1.ReviewService/SeedKnownAnswer', {
      sourceEventId: source,
      expectedDecision: 'DECISION_CONFIRM',
    });
    // rex never saw the source; the item looks like ordinary queued work.
    const queue = await rex.call<{ items: { itemId: string; state: ReviewState }[] }>(
      '/zebra.v1.ReviewService/ListQueue',
      {},
    );
    const item = queue.items.find((i) => i.itemId === itemId);
    expect(item).toMatchObject({ state: ReviewState.REVIEW_STATE_QUEUED });
    const view = await rex.call<{ event: { eventId: string } }>('/zebra.v1.ReviewService/GetReviewItem', { itemId });
    expect(view.event.eventId).toBe(itemId);
    // rita took part in the source decision, so she is never shown it.
    const ritaQueue = await rita.call<{ items: { itemId: string }[] }>('/zebra.v1.ReviewService/ListQueue', {});
    expect(ritaQueue.items.map((i) => i.itemId)).not.toContain(itemId);
    // rex answers wrongly: the source event itself does not change.
    await reject(rex, itemId, 'evidence_unclear');
    const source_ = await ada.call<{ reviewState: ReviewState }>('/zebra.v1.EventService/GetEvent', {
      eventId: source,
    });
    expect(source_.reviewState).toBe(ReviewState.REVIEW_STATE_APPROVED);
    await expect(reject(rex, itemId, 'evidence_unclear')).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
  });

  it('gives supervisors per-reviewer agreement figures', async () => {
    await reject(rex, events[1]!.eventId, 'not_a_pedestrian');
    const { reviewers } = await sam.call<{ reviewers: Figures[] }>('/zebra.v1.ReviewService/GetAgreement', {});
    const byId = new Map(reviewers.map((r) => [r.reviewerId, r]));
    expect(byId.get('rex')).toMatchObject({ knownAnswers: 1, knownAnswersAgreed: 0, rejections: 1, confirmations: 0 });
    expect(byId.get('rita')).toMatchObject({ confirmations: 1, confirmationsApproved: 1, knownAnswers: 0 });
    expect(byId.get('rex')!.medianDecisionMs).toBeGreaterThanOrEqual(TEST_MIN_VIEW_MS);
  });

  it('counts every stage, reason and camera in the transparency report', async () => {
    const { rows } = await ada.call<{
      rows: { cameraId: string; stage: string; reasonCode: string; count: number }[];
    }>('/zebra.v1.AuditService/GetTransparencyReport', { period: 'REPORT_PERIOD_DAY' });
    const count = (stage: string, reasonCode = '') =>
      rows.filter((r) => r.stage === stage && r.reasonCode === reasonCode).reduce((n, r) => n + r.count, 0);
    expect(count('received')).toBe(5);
    expect(count('confirmed', 'clear_infraction')).toBe(1);
    expect(count('approved', 'evidence_supports')).toBe(1);
    expect(count('rejected', 'not_a_pedestrian')).toBe(1);
    expect(rows.every((r) => r.cameraId === 'cam-1')).toBe(true);
  });

  it('expires overdue open reviews, purges evidence when due, records each purge and refuses to open it', async () => {
    const deps = stack.core.core.api;
    const store = await new Objm(stack.nc).open(EVIDENCE_BUCKET);
    const sweepAt = Date.now() + 200 * DAY_MS; // past the open-review limit and the retention period
    const result = await sweepRetention(
      {
        db: deps.db,
        evidence: store,
        metrics: deps.metrics,
        logger: deps.logger,
        options: { review: { claimLeaseMs: 60_000, minEvidenceViewMs: 0 }, ledger: deps.config.ledger },
        policy: {
          itemsPerPass: 100,
          passPauseMs: 0,
          maxItemsPerHour: 20_000,
          openReviewMaxAgeMs: 90 * DAY_MS,
          evidenceRetentionMs: 180 * DAY_MS,
          sweepIntervalMs: 60_000,
        },
      },
      sweepAt,
    );
    // Open: events 2, 3, 4 expire. Rejected event 1 is past retention. Approved event 0 still counts.
    expect(result).toEqual({ expired: 3, purged: 4 });
    const isGone = async (e: InfractionEvent) => (await store.info(e.evidence[0]!.objectKey))?.deleted ?? true;
    for (const e of events.slice(1)) expect(await isGone(e)).toBe(true);
    expect(await isGone(events[0]!)).toBe(false);
    await expect(
      ada.call('/zebra.v1.ReviewService/OpenEvidence', { eventId: events[2]!.eventId, purpose: 'audit' }),
    ).rejects.toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringMatching(/purged/) });
    const { rows } = await deps.db.query<{ action: string; n: string | number }>(
      "SELECT action, count(*) AS n FROM audit_log WHERE action IN ('review.expire', 'evidence.purged') GROUP BY action ORDER BY action",
    );
    expect(rows.map((r) => [r.action, Number(r.n)])).toEqual([
      ['evidence.purged', 4],
      ['review.expire', 3],
    ]);
    // A second sweep finds nothing more to do.
    expect(await sweepRetention({ ...stackRetention(), evidence: store }, sweepAt)).toEqual({ expired: 0, purged: 0 });
  });

  function stackRetention() {
    const deps = stack.core.core.api;
    return {
      db: deps.db,
      metrics: deps.metrics,
      logger: deps.logger,
      options: { review: { claimLeaseMs: 60_000, minEvidenceViewMs: 0 }, ledger: deps.config.ledger },
      policy: {
        itemsPerPass: 100,
        passPauseMs: 0,
        maxItemsPerHour: 20_000,
        openReviewMaxAgeMs: 90 * DAY_MS,
        evidenceRetentionMs: 180 * DAY_MS,
        sweepIntervalMs: 60_000,
      },
    };
  }
});
