import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import {
  Receipt,
  ReceiptKind,
  ReceiptOutcome,
  isSubjectToken,
  receiptSubject,
  signReceiptBatch,
} from '../../proto/index.js';
import type { CandidateTally, InfractionEvent, ReceiptSigningKey } from '../../proto/index.js';
import { SITE_SEQUENCE_HEADER } from './site-fetch.js';

/**
 * The message's sequence in the site's outbox, from the `Nats-Stream-Source` header the hub
 * adds to sourced messages ("EDGE:<hash> 17" on 2.9, "EDGE 17 <filter> …" later); 0 when the
 * message was published straight to the hub. A message the core put back on the hub from the
 * site's outbox names its outbox sequence in a header of its own.
 */
export function sourceSequence(msg: Pick<JsMsg, 'headers'>): number {
  const sourced = msg.headers?.get('Nats-Stream-Source');
  const refetched = msg.headers?.get(SITE_SEQUENCE_HEADER);
  const seq = Number(sourced ? sourced.trim().split(/\s+/)[1] : refetched);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
}

/** Site, device and camera named by an event or tally subject, when it is one. */
export function subjectParts(subject: string): { siteId: string; deviceId: string; cameraId: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 6 || parts[0] !== 'zebra' || parts[1] !== 'v1') return undefined;
  if (parts[2] !== 'events' && parts[2] !== 'tallies') return undefined;
  const [siteId, deviceId, cameraId] = parts.slice(3) as [string, string, string];
  return [siteId, deviceId, cameraId].every(isSubjectToken) ? { siteId, deviceId, cameraId } : undefined;
}

export function eventReceipt(event: InfractionEvent, msg: Pick<JsMsg, 'headers'>, atMs: number): Receipt {
  return Receipt.fromPartial({
    siteId: event.siteId,
    deviceId: event.deviceId,
    cameraId: event.cameraId,
    kind: ReceiptKind.RECEIPT_KIND_EVENT,
    eventId: event.eventId,
    sequence: event.cameraSeq,
    outcome: ReceiptOutcome.RECEIPT_OUTCOME_STORED,
    committedAtMs: atMs,
    sourceSequence: sourceSequence(msg),
  });
}

export function tallyReceipt(tally: CandidateTally, msg: Pick<JsMsg, 'headers'>, atMs: number): Receipt {
  return Receipt.fromPartial({
    siteId: tally.siteId,
    deviceId: tally.deviceId,
    cameraId: tally.cameraId,
    kind: ReceiptKind.RECEIPT_KIND_TALLY,
    hourStartMs: tally.hourStartMs,
    tallyTotal: tally.counts.reduce((sum, c) => sum + c.count, 0),
    outcome: ReceiptOutcome.RECEIPT_OUTCOME_STORED,
    committedAtMs: atMs,
    sourceSequence: sourceSequence(msg),
  });
}

/** The receipt for a quarantined message, when its subject names a device to send it to. */
export function quarantineReceipt(msg: Pick<JsMsg, 'headers' | 'subject'>, atMs: number): Receipt | undefined {
  const parts = subjectParts(msg.subject);
  if (!parts) return undefined;
  return Receipt.fromPartial({
    ...parts,
    kind: msg.subject.startsWith('zebra.v1.tallies.') ? ReceiptKind.RECEIPT_KIND_TALLY : ReceiptKind.RECEIPT_KIND_EVENT,
    outcome: ReceiptOutcome.RECEIPT_OUTCOME_QUARANTINED,
    committedAtMs: atMs,
    sourceSequence: sourceSequence(msg),
  });
}

/**
 * Publishes receipts on the hub's RECEIPTS stream, one signed batch per device; resolves once
 * JetStream holds every one. A repeated receipt is harmless: purging is idempotent.
 */
export async function sendReceipts(
  js: JetStreamClient,
  receipts: readonly Receipt[],
  key: ReceiptSigningKey,
): Promise<void> {
  const byDevice = new Map<string, Receipt[]>();
  for (const r of receipts) {
    const subject = receiptSubject(r.siteId, r.deviceId);
    byDevice.set(subject, [...(byDevice.get(subject) ?? []), r]);
  }
  await Promise.all([...byDevice].map(([subject, list]) => js.publish(subject, signReceiptBatch(list, key))));
}
