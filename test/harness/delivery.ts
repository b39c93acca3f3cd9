import { createHash } from 'node:crypto';
import type { ObjectStore } from '@nats-io/obj';
import { InfractionEvent } from '../../proto/index.js';
import type { Queryable } from '../../core/db/database.js';

/** The Jepsen-style verdict: each list must be empty. */
export interface DeliveryReport {
  /** Produced (acknowledged by the site outbox) but not committed. */
  readonly lost: readonly string[];
  /** Committed more than once. */
  readonly duplicates: readonly string[];
  /** Committed but never produced. */
  readonly unexpected: readonly string[];
}

/**
 * Compares what the device produced with what the database committed. Pure. `indeterminate`
 * are sends whose outcome the device never learned (killed between the send and its ack):
 * like Jepsen's :info operations they may or may not have happened, so committing them is
 * not unexpected and missing them is not lost.
 */
export function checkDelivery(
  produced: readonly string[],
  committed: readonly string[],
  indeterminate: readonly string[] = [],
): DeliveryReport {
  const producedSet = new Set([...produced, ...indeterminate]);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const id of committed) {
    if (seen.has(id)) duplicates.push(id);
    seen.add(id);
  }
  return {
    lost: produced.filter((id) => !seen.has(id)),
    duplicates,
    unexpected: [...seen].filter((id) => !producedSet.has(id)),
  };
}

export const CLEAN: DeliveryReport = { lost: [], duplicates: [], unexpected: [] };

/** Every committed event of one device: id and the signed payload as stored. */
export async function committedEvents(db: Queryable, deviceId: string): Promise<InfractionEvent[]> {
  const rows = await db.query<{ payload: Uint8Array }>(
    'SELECT payload FROM events WHERE device_id = $1 ORDER BY camera_seq',
    [deviceId],
  );
  return rows.rows.map((r) => InfractionEvent.decode(r.payload));
}

/**
 * The event ids of one device's `event.ingested` audit entries, in log order. The events table
 * cannot hold an id twice (it is the primary key), so "committed twice" is read from here: an
 * ingest that stored or audited a redelivered event again shows up as a repeated id.
 */
export async function ingestRecords(db: Queryable, deviceId: string): Promise<string[]> {
  const rows = await db.query<{ subject: string }>(
    "SELECT subject FROM audit_log WHERE action = 'event.ingested' AND actor = $1 ORDER BY seq",
    [`device:${deviceId}`],
  );
  return rows.rows.map((r) => r.subject);
}

/** Evidence objects at the hub whose bytes differ from the SHA-256 the device signed, or that are missing. */
export async function evidenceMismatches(store: ObjectStore, events: readonly InfractionEvent[]): Promise<string[]> {
  const bad: string[] = [];
  for (const event of events) {
    for (const ref of event.evidence) {
      const bytes = await store.getBlob(ref.objectKey).catch(() => null);
      const hex = bytes ? createHash('sha256').update(bytes).digest('hex') : 'missing';
      if (hex !== ref.sha256Hex) bad.push(`${ref.objectKey}: ${hex}`);
    }
  }
  return bad;
}
