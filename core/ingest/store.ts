import { createHash } from 'node:crypto';
import type { InfractionEvent } from '../../proto/index.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { AuditValue } from '../audit/entry.js';
import type { Queryable } from '../db/database.js';
import { insertEvent } from '../events/events-repo.js';

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A unique-key violation on the per-camera sequence number. */
export function isSequenceConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  return e.code === '23505' && (e.constraint?.includes('camera_seq') ?? e.message?.includes('camera_seq') ?? false);
}

/**
 * Stores a verified event once and appends its `event.ingested` entry, in the caller's
 * transaction. Returns whether it was new. Throws on a camera sequence conflict.
 */
export async function storeVerifiedEvent(
  tx: Queryable,
  event: InfractionEvent,
  message: { streamSeq: number; payload: Uint8Array },
  signatureKeyId: string,
  extra: Record<string, AuditValue> = {},
): Promise<boolean> {
  const inserted = await insertEvent(tx, event, message.streamSeq, signatureKeyId);
  if (inserted) {
    await appendAudit(tx, {
      atMs: Date.now(),
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
        ...extra,
      },
    });
  }
  return inserted;
}
