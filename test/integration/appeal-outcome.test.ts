import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../cli/api-client.js';
import { ReviewState } from '../../proto/index.js';
import type { InfractionEvent } from '../../proto/index.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import {
  REVIEW_OVERRIDES,
  approve,
  confirmAndLink,
  decideAppeal,
  fileAppeal,
  ingestEvents,
} from '../harness/review.js';
import type { ItemView } from '../harness/review.js';

interface Balance {
  points: number;
  entries: { eventId: string; kind: string; points: number }[];
}

/** DecideAppeal on a real core over gRPC: the outcome is explicit and the reason belongs to it. */
describe('DecideAppeal needs an explicit outcome', () => {
  let stack: TestStack;
  let rita: ApiClient; // reviewer
  let sam: ApiClient; // supervisor, approves
  let sue: ApiClient; // supervisor, decides appeals
  let clerk: ApiClient; // admin, files appeals
  let events: InfractionEvent[];

  beforeAll(async () => {
    stack = await startTestStack(REVIEW_OVERRIDES);
    [rita, sam, sue, clerk] = await Promise.all([
      stack.core.person('rita', ['reviewer']),
      stack.core.person('sam', ['supervisor']),
      stack.core.person('sue', ['supervisor']),
      stack.core.person('clerk', ['admin']),
    ]);
    events = await ingestEvents(stack, 2, 'cam-appeal');
  }, 120_000);

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const item = async (eventId: string): Promise<ItemView['item']> =>
    (await sue.call<ItemView>('/zebra.v1.ReviewService/GetReviewItem', { itemId: eventId })).item;
  const balance = (subjectRef: string): Promise<Balance> =>
    sue.call<Balance>('/zebra.v1.LedgerService/GetBalance', { subjectRef });

  /** An event confirmed, linked to `subjectRef`, approved (points deducted) and appealed. */
  async function appealed(eventId: string, subjectRef: string): Promise<number> {
    const approved = await approve(sam, eventId, await confirmAndLink(rita, eventId, subjectRef));
    return fileAppeal(clerk, eventId, approved);
  }

  it('lists each outcome with its own reasons', async () => {
    const { reasons } = await rita.call<{ reasons: { decision: string; code: string }[] }>(
      '/zebra.v1.ReviewService/ListReasons',
    );
    const codes = (decision: string) => reasons.filter((r) => r.decision === decision).map((r) => r.code);
    expect(codes('appeal_uphold').sort()).toEqual(['evidence_insufficient', 'exemption_accepted', 'identity_disputed']);
    expect(codes('appeal_deny')).toEqual(['appeal_unfounded']);
    expect(codes('appeal')).toEqual([]);
  });

  it('refuses a missing or unspecified outcome and a reason of the other outcome; nothing changes', async () => {
    const eventId = events[0]!.eventId;
    const version = await appealed(eventId, 'DL-900-001');
    const before = await balance('DL-900-001');
    expect(before.entries.map((e) => e.kind)).toEqual(['deduction']);
    const decide = (body: Record<string, unknown>) =>
      sue.call('/zebra.v1.LedgerService/DecideAppeal', { eventId, expectedVersion: version, ...body });
    const noOutcome = {
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('outcome is required'),
    };
    // Left out entirely, with a reason of either outcome.
    await expect(decide({ reasonCode: 'appeal_unfounded' })).rejects.toMatchObject(noOutcome);
    await expect(decide({ reasonCode: 'identity_disputed' })).rejects.toMatchObject(noOutcome);
    // Explicitly unspecified.
    await expect(
      decide({ outcome: 'APPEAL_OUTCOME_UNSPECIFIED', reasonCode: 'identity_disputed' }),
    ).rejects.toMatchObject(noOutcome);
    // The deprecated bool is ignored: it does not stand in for the outcome, either way.
    await expect(decide({ uphold: true, reasonCode: 'identity_disputed' })).rejects.toMatchObject(noOutcome);
    await expect(decide({ uphold: false, reasonCode: 'appeal_unfounded' })).rejects.toMatchObject(noOutcome);
    // A reason that belongs to the other outcome.
    const mismatch = (verb: string) => ({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining(`not a reason to ${verb} an appeal`),
    });
    await expect(decide({ outcome: 'APPEAL_OUTCOME_UPHOLD', reasonCode: 'appeal_unfounded' })).rejects.toMatchObject(
      mismatch('uphold'),
    );
    await expect(decide({ outcome: 'APPEAL_OUTCOME_DENY', reasonCode: 'identity_disputed' })).rejects.toMatchObject(
      mismatch('deny'),
    );
    await expect(decide({ outcome: 'APPEAL_OUTCOME_DENY', reasonCode: '' })).rejects.toMatchObject(mismatch('deny'));
    // Nothing changed: still under appeal at the same version, the points still deducted.
    expect(await item(eventId)).toMatchObject({ state: ReviewState.REVIEW_STATE_APPEALED, version });
    expect(await balance('DL-900-001')).toEqual(before);
    // The same appeal then takes an explicit denial with a denial reason: the decision stands.
    await expect(decideAppeal(sue, eventId, 'APPEAL_OUTCOME_DENY', 'appeal_unfounded', version)).resolves.toBe(
      version + 1,
    );
    expect(await item(eventId)).toMatchObject({ state: ReviewState.REVIEW_STATE_DENIED, version: version + 1 });
    expect(await balance('DL-900-001')).toEqual(before);
  }, 60_000);

  it('an explicit uphold gives the points back', async () => {
    const eventId = events[1]!.eventId;
    const version = await appealed(eventId, 'DL-900-002');
    const before = await balance('DL-900-002');
    await expect(decideAppeal(sue, eventId, 'APPEAL_OUTCOME_UPHOLD', 'identity_disputed', version)).resolves.toBe(
      version + 1,
    );
    expect(await item(eventId)).toMatchObject({ state: ReviewState.REVIEW_STATE_UPHELD, version: version + 1 });
    const after = await balance('DL-900-002');
    expect(after.points).toBe(before.points + 2);
    expect(after.entries.map((e) => [e.kind, e.points])).toEqual([
      ['deduction', -2],
      ['reversal', 2],
    ]);
  }, 60_000);
});
