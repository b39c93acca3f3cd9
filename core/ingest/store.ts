import { createHash } from 'node:crypto';
import type { InfractionEvent } from '../../proto/index.js';
import { insertAuditEntries } from '../audit/audit-repo.js';
import type { NewAuditEntry } from '../audit/audit-repo.js';
import type { AuditValue } from '../audit/entry.js';
import type { Queryable } from '../db/database.js';
import { firstOfEach, insertEventsReservingAudit } from '../events/events-repo.js';

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A unique-key violation on the per-camera sequence number. */
export function isSequenceConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return e.code === '23505' && (e.constraint?.includes('camera_seq') ?? e.message?.includes('camera_seq') ?? false);
}

/** One verified event as ingest stores it. */
export interface VerifiedEvent {
  readonly event: InfractionEvent;
  readonly message: { readonly streamSeq: number; readonly payload: Uint8Array };
  readonly signatureKeyId: string;
  readonly extra?: Record<string, AuditValue>;
}

function ingestedEntry(v: VerifiedEvent, atMs: number): NewAuditEntry {
  const { event, message, signatureKeyId } = v;
  return {
    atMs,
    actor: `device:${event.deviceId}`,
    action: 'event.ingested',
    subject: event.eventId,
    details: {
      siteId: event.siteId,
      cameraId: event.cameraId,
      cameraSeq: event.cameraSeq,
      streamSeq: message.streamSeq,
      payloadSha256: sha256Hex(message.payload),
      signatureKeyId,
      ...(event.enforcement?.suspended ? { enforcementSuspended: [...event.enforcement.reasonCodes] } : {}),
      ...(v.extra ?? {}),
    },
  };
}

/**
 * Stores verified events once each and appends an `event.ingested` entry for each new one, in
 * stream order, in the caller's transaction. Returns, per event, whether it was new. Throws on
 * a camera sequence conflict.
 */
export async function storeVerifiedEvents(tx: Queryable, items: readonly VerifiedEvent[]): Promise<boolean[]> {
  const { inserted, firstAuditSeq } = await insertEventsReservingAudit(
    tx,
    items.map((v) => ({
      event: v.event,
      streamSeq: v.message.streamSeq,
      signatureKeyId: v.signatureKeyId,
      payload: v.message.payload,
    })),
  );
  const atMs = Date.now();
  // A batch may hold the same event twice (a redelivery beside the original): audit it once.
  const fresh = firstOfEach(
    items.filter((v) => inserted.has(v.event.eventId)),
    (v) => v.event.eventId,
  );
  await insertAuditEntries(
    tx,
    firstAuditSeq,
    fresh.map((v) => ingestedEntry(v, atMs)),
  );
  return items.map((v) => fresh.includes(v));
}

/** Stores one verified event (see {@link storeVerifiedEvents}). Returns whether it was new. */
export async function storeVerifiedEvent(
  tx: Queryable,
  event: InfractionEvent,
  message: { streamSeq: number; payload: Uint8Array },
  signatureKeyId: string,
  extra: Record<string, AuditValue> = {},
): Promise<boolean> {
  const [isNew] = await storeVerifiedEvents(tx, [{ event, message, signatureKeyId, extra }]);
  return isNew!;
}
