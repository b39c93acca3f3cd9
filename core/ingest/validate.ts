import { InfractionEvent, SignalState, isSubjectToken } from '../../proto/index.js';
import { checkEvidenceMediaTypes } from './media-check.js';
import { checkEventBounds } from './event-bounds.js';
import type { EventBounds } from './event-bounds.js';

/** Why a message was refused at ingest. */
export type RejectionCode =
  | 'undecodable'
  | 'missing_field'
  | 'invalid_field'
  | 'subject_mismatch'
  | 'sequence_conflict'
  | 'media_type_refused'
  | 'out_of_bounds';

/** The receive time and the window an event's times must fall in (event-bounds.ts). */
export interface ReceiveBounds {
  readonly nowMs: number;
  readonly bounds: EventBounds;
}

export type ValidationResult =
  | { readonly ok: true; readonly event: InfractionEvent }
  | { readonly ok: false; readonly code: RejectionCode; readonly reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function reject(code: RejectionCode, reason: string): ValidationResult {
  return { ok: false, code, reason };
}

/**
 * Decodes and checks one message from the infractions stream. Pure: no I/O.
 * The subject must name the same site, device and camera as the event. With `receive`, the
 * event's times must lie near the receive time and its strings within bounds.
 */
export function validateEventMessage(subject: string, data: Uint8Array, receive?: ReceiveBounds): ValidationResult {
  let event: InfractionEvent;
  try {
    event = InfractionEvent.decode(data);
  } catch (err) {
    return reject('undecodable', `not an InfractionEvent: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!event.eventId) return reject('missing_field', 'event_id is empty');
  if (!UUID.test(event.eventId))
    return reject('invalid_field', `event_id "${event.eventId.slice(0, 80)}" is not a UUID`);
  for (const [name, value] of [
    ['device_id', event.deviceId],
    ['site_id', event.siteId],
    ['camera_id', event.cameraId],
    ['zone_id', event.zoneId],
  ] as const) {
    if (!value) return reject('missing_field', `${name} is empty`);
    if (!isSubjectToken(value))
      return reject('invalid_field', `${name} "${value.slice(0, 80)}" has characters other than A-Z a-z 0-9 _ -`);
  }
  if (!(event.cameraSeq > 0)) return reject('invalid_field', 'camera_seq must be at least 1');
  if (!(event.occurredAtMs > 0)) return reject('invalid_field', 'occurred_at_ms must be a positive epoch time');
  if (!event.signal || event.signal.state === SignalState.SIGNAL_STATE_UNSPECIFIED) {
    return reject('missing_field', 'signal snapshot is missing');
  }
  if (!event.signature || event.signature.signature.length === 0)
    return reject('missing_field', 'device signature is missing');
  const expected = `zebra.v1.events.${event.siteId}.${event.deviceId}.${event.cameraId}`;
  if (subject !== expected)
    return reject('subject_mismatch', `published on ${subject}, but the event says ${expected}`);
  const media = checkEvidenceMediaTypes(event);
  if (!media.ok) return reject('media_type_refused', media.reason);
  const outOfBounds = receive && checkEventBounds(event, receive.nowMs, receive.bounds);
  if (outOfBounds) return reject('out_of_bounds', outOfBounds);
  return { ok: true, event };
}
