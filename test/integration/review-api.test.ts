import { createPublicKey } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { Objm } from '@nats-io/obj';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../cli/api-client.js';
import { entryLeafHash, isCheckpointSigned, verifyInclusion } from '../../core/index.js';
import { EVIDENCE_BUCKET, ReviewState } from '../../proto/index.js';
import type { InfractionEvent } from '../../proto/index.js';
import type { AuditEntry } from '../../core/audit/entry.js';
import { testHttps } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { REVIEW_OVERRIDES, approve, confirmAndLink, ingestEvents, openAndView } from '../harness/review.js';
import type { ItemView } from '../harness/review.js';

interface Balance {
  points: number;
  baselinePoints: number;
  entries: { kind: string; points: number }[];
}

describe('the review workflow through the gRPC API', () => {
  let stack: TestStack;
  let rita: ApiClient; // reviewer
  let sam: ApiClient; // supervisor
  let sue: ApiClient; // supervisor
  let ada: ApiClient; // auditor
  let clerk: ApiClient; // admin
  let events: InfractionEvent[];

  beforeAll(async () => {
    stack = await startTestStack(REVIEW_OVERRIDES);
    [rita, sam, sue, ada, clerk] = await Promise.all([
      stack.core.person('rita', ['reviewer']),
      stack.core.person('sam', ['supervisor']),
      stack.core.person('sue', ['supervisor']),
      stack.core.person('ada', ['auditor']),
      stack.core.person('clerk', ['admin']),
    ]);
    events = await ingestEvents(stack, 6);
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const balance = (subjectRef: string): Promise<Balance> =>
    ada.call<Balance>('/zebra.v1.LedgerService/GetBalance', { subjectRef });

  it('lists first-review work oldest first, and filters by camera and confidence', async () => {
    const { items } = await rita.call<{ items: { itemId: string }[] }>('/zebra.v1.ReviewService/ListQueue', {});
    expect(items.map((i) => i.itemId)).toEqual(events.map((e) => e.eventId));
    const none = await rita.call<{ items: unknown[] }>('/zebra.v1.ReviewService/ListQueue', { minConfidence: 0.95 });
    expect(none.items).toEqual([]);
    const other = await rita.call<{ items: unknown[] }>('/zebra.v1.ReviewService/ListQueue', { cameraId: 'cam-9' });
    expect(other.items).toEqual([]);
  });

  it('refuses a decision before the minimum viewing time, then takes it', async () => {
    const eventId = events[0]!.eventId;
    const { version } = await rita.call<{ version: number }>('/zebra.v1.ReviewService/ClaimEvent', { eventId });
    const decide = (expectedVersion: number) =>
      rita.call<{ version: number }>('/zebra.v1.ReviewService/DecideEvent', {
        eventId,
        decision: 'DECISION_REJECT',
        reasonCode: 'evidence_unclear',
        expectedVersion,
      });
    await expect(decide(version)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await openAndView(rita, eventId);
    await expect(decide(version + 5)).rejects.toMatchObject({ code: status.ABORTED });
    await expect(decide(version)).resolves.toMatchObject({ version: version + 1 });
  });

  it('takes an event through confirm, link, blind approval, deduction, appeal and reversal', async () => {
    const eventId = events[1]!.eventId;
    const linkedVersion = await confirmAndLink(rita, eventId, 'DL-100-200');
    // The second reviewer sees the reference but nothing of the first decision.
    const view = await sam.call<ItemView>('/zebra.v1.ReviewService/GetReviewItem', { itemId: eventId });
    expect(view.reference).toMatchObject({ subjectRef: 'DL-100-200', issuingOfficer: 'PC 4411' });
    expect(JSON.stringify(view)).not.toMatch(/rita|clear_infraction/);
    const { items } = await sam.call<{ items: { itemId: string }[] }>('/zebra.v1.ReviewService/ListQueue', {
      kind: 'QUEUE_KIND_SECOND_REVIEW',
    });
    expect(items.map((i) => i.itemId)).toContain(eventId);
    // A reviewer cannot approve at all.
    await expect(
      rita.call('/zebra.v1.ReviewService/ApproveEvent', {
        eventId,
        decision: 'DECISION_CONFIRM',
        reasonCode: 'evidence_supports',
        expectedVersion: linkedVersion,
      }),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const approvedVersion = await approve(sam, eventId, linkedVersion);
    expect(await balance('DL-100-200')).toMatchObject({ points: 10, baselinePoints: 12 });
    const appealed = await clerk.call<{ version: number }>('/zebra.v1.LedgerService/FileAppeal', {
      eventId,
      grounds: 'The person named was abroad that day',
      expectedVersion: approvedVersion,
    });
    // The approver may not decide the appeal on their own decision.
    await expect(
      sam.call('/zebra.v1.LedgerService/DecideAppeal', {
        eventId,
        outcome: 'APPEAL_OUTCOME_UPHOLD',
        reasonCode: 'identity_disputed',
        expectedVersion: appealed.version,
      }),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await sue.call('/zebra.v1.LedgerService/DecideAppeal', {
      eventId,
      outcome: 'APPEAL_OUTCOME_UPHOLD',
      reasonCode: 'identity_disputed',
      expectedVersion: appealed.version,
    });
    const after = await balance('DL-100-200');
    expect(after.points).toBe(12);
    expect(after.entries.map((e) => [e.kind, e.points])).toEqual([
      ['deduction', -2],
      ['reversal', 2],
    ]);
  });

  it('refuses a decision with no explicit choice: no decision, an unspecified one, or no reason', async () => {
    const [fresh, linkedEvent] = await ingestEvents(stack, 2, 'cam-7');
    const eventId = fresh!.eventId;
    const { version } = await rita.call<{ version: number }>('/zebra.v1.ReviewService/ClaimEvent', { eventId });
    await openAndView(rita, eventId);
    const decide = (body: Record<string, unknown>) =>
      rita.call('/zebra.v1.ReviewService/DecideEvent', { eventId, expectedVersion: version, ...body });
    const noChoice = { code: status.INVALID_ARGUMENT, details: expect.stringContaining('CONFIRM or REJECT') };
    await expect(decide({ reasonCode: 'clear_infraction' })).rejects.toMatchObject(noChoice);
    await expect(decide({ decision: 'DECISION_UNSPECIFIED', reasonCode: 'clear_infraction' })).rejects.toMatchObject(
      noChoice,
    );
    await expect(decide({ decision: 'DECISION_CONFIRM' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('is not one of'),
    });
    const view = await rita.call<ItemView>('/zebra.v1.ReviewService/GetReviewItem', { itemId: eventId });
    expect(view.item).toMatchObject({ state: ReviewState.REVIEW_STATE_IN_REVIEW, version });
    // The blind second review likewise.
    const linkedVersion = await confirmAndLink(rita, linkedEvent!.eventId, 'DL-700');
    await openAndView(sam, linkedEvent!.eventId, 'second review');
    await expect(
      sam.call('/zebra.v1.ReviewService/ApproveEvent', {
        eventId: linkedEvent!.eventId,
        reasonCode: 'evidence_supports',
        expectedVersion: linkedVersion,
      }),
    ).rejects.toMatchObject(noChoice);
  });

  it('a supervisor who confirmed may not approve the same event', async () => {
    const eventId = events[2]!.eventId;
    const version = await confirmAndLink(sam, eventId, 'DL-300');
    await expect(approve(sam, eventId, version)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(approve(sue, eventId, version)).resolves.toBe(version + 1);
  });

  it('serves evidence only through a fresh ticket from OpenEvidence', async () => {
    const event = events[3]!;
    const { links } = await openAndView(ada, event.eventId, 'audit sample');
    expect(links).toHaveLength(1);
    // The link is bound to the auditor who opened it: it is served only with her token.
    const asAda = { headers: { authorization: `Bearer ${ada.token}` } };
    const res = await testHttps(`https://${stack.core.core.httpAddress}${links[0]!.url}`, asAda);
    expect(res.status).toBe(200);
    expect(res.text()).toBe(`evidence of ${event.eventId}`);
    const forged = links[0]!.url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await testHttps(`https://${stack.core.core.httpAddress}${forged}`, asAda)).status).toBe(403);
    // Someone with write access to the store replaces the object: the link refuses to show it.
    const store = await new Objm(stack.nc).open(EVIDENCE_BUCKET);
    await store.putBlob({ name: event.evidence[0]!.objectKey }, Buffer.from('something else'));
    const replaced = await testHttps(`https://${stack.core.core.httpAddress}${links[0]!.url}`, asAda);
    expect(replaced.status).toBe(409);
  });

  it('gives a custody report for a random approved event whose proofs verify against the signed checkpoint', async () => {
    for (const event of events.slice(4)) {
      await approve(sue, event.eventId, await confirmAndLink(rita, event.eventId, 'DL-500'));
    }
    const eventId = events[4 + Math.floor(Math.random() * 2)]!.eventId;
    const report = await ada.call<{
      checkpoint: {
        treeSize: number;
        rootHash: Buffer;
        origin: string;
        atMs: number;
        keyId: string;
        signature: Buffer;
      };
      steps: { seq: number; action: string; canonicalEntry: Buffer; inclusionProof: Buffer[] }[];
    }>('/zebra.v1.AuditService/GetCustodyReport', { eventId });
    const pem = (await testHttps(`https://${stack.core.core.httpAddress}/api/audit/public-key`)).text();
    const cp = {
      ...report.checkpoint,
      rootHash: Buffer.from(report.checkpoint.rootHash),
      signature: Buffer.from(report.checkpoint.signature),
    };
    expect(isCheckpointSigned(cp, createPublicKey(pem))).toBe(true);
    expect(report.steps.map((s) => s.action)).toEqual([
      'event.ingested',
      'review.claim',
      'evidence.read',
      'review.confirm',
      'review.link',
      'evidence.read',
      'review.approve',
      'ledger.deducted',
      // The harness's one admin created both deciders (docs/security.md, same-admin flag).
      'ledger.flagged',
    ]);
    for (const step of report.steps) {
      const entry = JSON.parse(Buffer.from(step.canonicalEntry).toString('utf8')) as AuditEntry;
      expect(entry.subject).toBe(eventId);
      expect(verifyInclusion(step.seq, cp.treeSize, entryLeafHash(entry), step.inclusionProof, cp.rootHash)).toBe(true);
    }
  });
});
