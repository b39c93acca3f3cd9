import { createHash } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { EVIDENCE_BUCKET, InfractionEvent, evidenceObjectKey } from '../../proto/index.js';
import type { ApiClient } from '../../cli/api-client.js';
import { countEvents } from '../../core/index.js';
import { makeEvent, subjectOf, testDeviceKey } from './events.js';
import type { TestStack } from './stack.js';
import { waitFor } from './temp.js';

/** Fast enough for tests; long enough that a test can see it refuse a hasty decision. */
export const TEST_MIN_VIEW_MS = 150;

/** Core overrides for review tests: a short minimum viewing time. */
export const REVIEW_OVERRIDES = { review: { minEvidenceViewMs: TEST_MIN_VIEW_MS, knownAnswerShare: 0 } };

/**
 * Publishes `count` signed events through JetStream, each with one evidence object in the
 * store, and waits until the core has stored them all. Returns them in camera order.
 */
export async function ingestEvents(
  stack: TestStack,
  count: number,
  cameraId = 'cam-1',
  evidenceBytes?: (eventId: string) => Promise<Buffer>,
  clipBytes?: () => Promise<Buffer>,
): Promise<InfractionEvent[]> {
  const { privateKey } = testDeviceKey();
  const js = jetstream(stack.nc);
  const store = await new Objm(stack.nc).create(EVIDENCE_BUCKET, { storage: 'file' });
  const before = await countEvents(stack.core.core.db);
  const events: InfractionEvent[] = [];
  for (let i = 0; i < count; i++) {
    const base = makeEvent(privateKey, { cameraId, cameraSeq: i + 1 + before });
    const bytes = evidenceBytes ? await evidenceBytes(base.eventId) : Buffer.from(`evidence of ${base.eventId}`);
    const key = evidenceObjectKey(base.siteId, cameraId, base.eventId, 'entry.jpg');
    await store.putBlob({ name: key }, bytes);
    const clip = clipBytes ? await clipBytes() : undefined;
    const clipKey = evidenceObjectKey(base.siteId, cameraId, base.eventId, 'clip.webm');
    if (clip) await store.putBlob({ name: clipKey }, clip);
    const clipRefs = clip
      ? [
          {
            objectKey: clipKey,
            sha256Hex: createHash('sha256').update(clip).digest('hex'),
            mediaType: 'video/webm',
            sizeBytes: clip.length,
            widthPx: 0,
            heightPx: 0,
            frameCapturedAtMs: base.occurredAtMs - 3000,
            redaction: undefined,
            clipEndCapturedAtMs: base.occurredAtMs + 3000,
            clipFrames: 31,
            role: 'clip',
          },
        ]
      : [];
    const event = makeEvent(privateKey, {
      ...base,
      evidence: [
        {
          objectKey: key,
          sha256Hex: createHash('sha256').update(bytes).digest('hex'),
          mediaType: 'image/jpeg',
          sizeBytes: bytes.length,
          widthPx: 0,
          heightPx: 0,
          frameCapturedAtMs: base.occurredAtMs,
          redaction: undefined,
          clipEndCapturedAtMs: 0,
          clipFrames: 0,
          role: 'entry',
        },
        ...clipRefs,
      ],
    });
    await js.publish(subjectOf(event), InfractionEvent.encode(event).finish(), { msgID: event.eventId });
    events.push(event);
  }
  await waitFor('events ingested', async () =>
    (await countEvents(stack.core.core.db)) >= before + count ? true : undefined,
  );
  return events;
}

export interface ItemView {
  item: { itemId: string; version: number; state: string };
  reference?: { citationNumber: string; issuingOfficer: string; subjectRef: string };
  evidenceViewedMs: number;
}

/** Opens the evidence (audited) and waits out the minimum viewing time; returns the links. */
export async function openAndView(
  client: ApiClient,
  eventId: string,
  purpose = 'review',
): Promise<{ links: { url: string; sha256Hex: string }[] }> {
  const opened = await client.call<{ links: { url: string; sha256Hex: string }[] }>(
    '/zebra.v1.ReviewService/OpenEvidence',
    { eventId, purpose },
  );
  await new Promise((r) => setTimeout(r, TEST_MIN_VIEW_MS + 20));
  return opened;
}

export async function versionOf(client: ApiClient, itemId: string): Promise<number> {
  return (await client.call<ItemView>('/zebra.v1.ReviewService/GetReviewItem', { itemId })).item.version;
}

/** Claim, view, confirm and link one event as `reviewer`; returns the version after linking. */
export async function confirmAndLink(reviewer: ApiClient, eventId: string, subjectRef: string): Promise<number> {
  const claimed = await reviewer.call<{ version: number }>('/zebra.v1.ReviewService/ClaimEvent', { eventId });
  await openAndView(reviewer, eventId);
  const decided = await reviewer.call<{ version: number }>('/zebra.v1.ReviewService/DecideEvent', {
    eventId,
    decision: 'DECISION_CONFIRM',
    reasonCode: 'clear_infraction',
    expectedVersion: claimed.version,
  });
  const linked = await reviewer.call<{ version: number }>('/zebra.v1.ReviewService/LinkReference', {
    eventId,
    reference: { citationNumber: `C-${eventId.slice(0, 8)}`, issuingOfficer: 'PC 4411', subjectRef },
    expectedVersion: decided.version,
  });
  return linked.version;
}

/** The blind second review: view, then approve. */
export async function approve(supervisor: ApiClient, eventId: string, expectedVersion: number): Promise<number> {
  await openAndView(supervisor, eventId, 'second review');
  const approved = await supervisor.call<{ version: number }>('/zebra.v1.ReviewService/ApproveEvent', {
    eventId,
    decision: 'DECISION_CONFIRM',
    reasonCode: 'evidence_supports',
    expectedVersion,
  });
  return approved.version;
}

/** Files an appeal as `admin` against an approved event; returns the version after filing. */
export async function fileAppeal(admin: ApiClient, eventId: string, expectedVersion: number): Promise<number> {
  const filed = await admin.call<{ version: number }>('/zebra.v1.LedgerService/FileAppeal', {
    eventId,
    grounds: 'The person named was abroad that day',
    expectedVersion,
  });
  return filed.version;
}

/** Decides an appeal with an explicit outcome (there is no default); returns the version after. */
export async function decideAppeal(
  supervisor: ApiClient,
  eventId: string,
  outcome: 'APPEAL_OUTCOME_UPHOLD' | 'APPEAL_OUTCOME_DENY',
  reasonCode: string,
  expectedVersion: number,
): Promise<number> {
  const decided = await supervisor.call<{ version: number }>('/zebra.v1.LedgerService/DecideAppeal', {
    eventId,
    outcome,
    reasonCode,
    expectedVersion,
  });
  return decided.version;
}
