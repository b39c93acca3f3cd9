import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { headers } from '@nats-io/transport-node';
import { EDGE_STREAM, InfractionEvent, eventSubject } from '../../proto/index.js';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';

/** Header naming the site outbox sequence of a message put back on the hub by the core. */
export const SITE_SEQUENCE_HEADER = 'Zebra-Site-Seq';

export interface RefetchResult {
  readonly found: number[];
  readonly notInOutbox: number[];
}

/**
 * Reads one camera's events from the site's outbox (over the leaf link, through the site's
 * JetStream domain) and publishes each one whose sequence number is wanted onto the hub
 * stream again, with its outbox sequence in a header so its receipt can purge it. Ingest
 * then takes it like any other delivery; the event id keeps it to one row.
 */
export async function refetchFromSite(
  nc: NatsConnection,
  where: { siteId: string; deviceId: string; cameraId: string },
  wanted: ReadonlySet<number>,
  timeoutMs = 10_000,
): Promise<RefetchResult> {
  const { siteId, deviceId, cameraId } = where;
  const subject = eventSubject(siteId, deviceId, cameraId);
  const site = jetstream(nc, { domain: siteId, timeout: timeoutMs });
  const found: number[] = [];
  try {
    const consumer = await site.consumers.get(EDGE_STREAM, { filter_subjects: subject });
    // Receipts may purge messages meanwhile: never wait for more than were pending.
    const held = (await consumer.info()).num_pending;
    if (held > 0) {
      const messages = await consumer.fetch({ max_messages: held, expires: Math.min(timeoutMs, 3_000) });
      const hub = jetstream(nc);
      let seen = 0;
      for await (const m of messages) {
        seen += 1;
        let event: InfractionEvent | undefined;
        try {
          event = InfractionEvent.decode(m.data);
        } catch {
          event = undefined; // a malformed message: ingest quarantined it already
        }
        if (event && wanted.has(event.cameraSeq) && !found.includes(event.cameraSeq)) {
          const h = headers();
          h.set(SITE_SEQUENCE_HEADER, String(m.seq));
          // No message id: within the hub's duplicate window the id of the copy the hub lost
          // would turn this one away too. The event id in PostgreSQL keeps it to one row.
          await hub.publish(m.subject, m.data, { headers: h });
          found.push(event.cameraSeq);
        }
        if (seen >= held) break;
      }
    }
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.NATS_UNAVAILABLE,
      `cannot read the outbox of site ${siteId} (is its leaf node linked?): ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return {
    found: found.sort((a, b) => a - b),
    notInOutbox: [...wanted].filter((s) => !found.includes(s)).sort((a, b) => a - b),
  };
}
