import type { GetEventResponse, ListEventsRequest, ListEventsResponse } from '../../proto/index.js';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { optionalText, pageSize } from './args.js';
import { getEvent, listEvents } from '../events/events-repo.js';
import type { PageCursor } from '../events/events-repo.js';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(`${cursor.occurredAtMs}:${cursor.eventId}`).toString('base64url');
}

export function decodePageToken(token: string): PageCursor {
  const [ms, eventId] = Buffer.from(token, 'base64url').toString('utf8').split(':');
  const occurredAtMs = Number(ms);
  // Up to 2^53: an event stored before ingest bounds may lie far in the future (PostgreSQL
  // holds times to the year 294276), and paging must get past it.
  const isTime = Number.isSafeInteger(occurredAtMs) && occurredAtMs >= 0;
  if (!isTime || !eventId || !UUID.test(eventId)) {
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'page_token is not one this server issued');
  }
  return { occurredAtMs, eventId };
}

/** The event queries behind both gRPC and the JSON gateway. */
export async function listEventsPage(db: Queryable, request: ListEventsRequest): Promise<ListEventsResponse> {
  const limit = pageSize(request.pageSize, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const after = request.pageToken ? decodePageToken(optionalText('page_token', request.pageToken, 256)) : undefined;
  const cameraId = optionalText('camera_id', request.cameraId, 64) || undefined;
  const events = await listEvents(db, { limit, after, cameraId });
  const last = events[events.length - 1];
  return {
    events,
    nextPageToken:
      events.length === limit && last
        ? encodePageToken({ occurredAtMs: last.occurredAtMs, eventId: last.eventId })
        : '',
  };
}

export async function getEventById(db: Queryable, eventId: string): Promise<GetEventResponse> {
  if (!UUID.test(eventId)) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'event_id must be a UUID');
  return getEvent(db, eventId);
}
