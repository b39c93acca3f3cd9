import { appendAudit } from '../audit/audit-repo.js';
import type { Database, Queryable } from '../db/database.js';
import { checkEventSignature } from '../devices/devices-repo.js';
import type { DeviceRecord } from '../devices/devices-repo.js';
import { isSequenceConflict, storeVerifiedEvent } from './store.js';
import { validateEventMessage } from './validate.js';

/** Refusals that registering the device can cure. */
export const CURABLE: readonly string[] = ['unknown_device', 'unknown_key', 'site_mismatch'];

/** Serialises, per device, quarantining a message for a curable reason with releasing such messages. */
async function lockDevice(tx: Queryable, deviceId: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('zebra.device:' || $1))", [deviceId]);
}

/** {@link lockDevice} for several devices at once, in sorted order (two callers never wait on each other in a cycle). */
export async function lockDevices(tx: Queryable, deviceIds: readonly string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await tx.query(
    `SELECT pg_advisory_xact_lock(hashtext('zebra.device:' || d)) FROM unnest($1::text[]) WITH ORDINALITY AS u (d, n) ORDER BY n`,
    [[...new Set(deviceIds)].sort()],
  );
}

/**
 * After a device is registered (or re-keyed), stores the messages quarantined only because
 * the core did not know it yet, if they now verify. Each release is audited with the
 * quarantine row it came from. Returns how many events were stored.
 */
export async function releaseQuarantined(
  db: Database,
  device: DeviceRecord,
  actor: string,
  nowMs: number,
): Promise<number> {
  // Under the device's lock: a quarantine that raced the registration is committed first.
  const rows = await db.transaction(async (tx) => {
    await lockDevice(tx, device.deviceId);
    const result = await tx.query<{
      id: string | number;
      stream_seq: string | number;
      subject: string;
      payload: Uint8Array;
    }>(
      `SELECT id, stream_seq, subject, payload FROM quarantine
       WHERE released_at IS NULL AND reason_code = ANY($1::text[]) AND subject LIKE $2 ORDER BY stream_seq`,
      [[...CURABLE], `zebra.v1.events.%.${device.deviceId}.%`],
    );
    return result.rows;
  });
  let released = 0;
  for (const row of rows) {
    const payload = Buffer.from(row.payload);
    const parsed = validateEventMessage(row.subject, payload);
    if (!parsed.ok || parsed.event.deviceId !== device.deviceId) continue;
    const signed = checkEventSignature(parsed.event, device);
    if (!signed.ok) continue;
    try {
      await db.transaction(async (tx) => {
        const streamSeq = Number(row.stream_seq);
        await storeVerifiedEvent(tx, parsed.event, { streamSeq, payload }, signed.keyId, {
          releasedFromQuarantine: true,
        });
        await tx.query(
          'UPDATE quarantine SET released_at = to_timestamp($2::float8 / 1000), released_event_id = $3::uuid WHERE id = $1',
          [row.id, nowMs, parsed.event.eventId],
        );
        await appendAudit(tx, {
          atMs: nowMs,
          actor,
          action: 'message.released',
          subject: `stream:${streamSeq}`,
          details: { eventId: parsed.event.eventId, deviceId: device.deviceId, signatureKeyId: signed.keyId },
        });
      });
      released += 1;
    } catch (err) {
      if (!isSequenceConflict(err)) throw err;
    }
  }
  return released;
}
