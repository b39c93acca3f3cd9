import {
  EventServiceService,
  FetchMissingEventsRequest,
  FetchMissingEventsResponse,
  GetEventRequest,
  GetEventResponse,
  ListEventsRequest,
  ListEventsResponse,
  ListSequenceGapsRequest,
  ListSequenceGapsResponse,
} from '../../proto/index.js';
import { sequenceGaps } from '../events/sequence-state.js';
import { getEventById, listEventsPage } from './event-queries.js';
import { defineService, rpc } from './method.js';
import { quarantineMethods } from './quarantine-methods.js';
import { fetchMissingEvents } from './refetch.js';

const READERS = ['reviewer', 'supervisor', 'auditor'] as const;

export const eventService = defineService(EventServiceService, {
  listEvents: rpc(READERS, ListEventsRequest, ListEventsResponse, (ctx, req) => listEventsPage(ctx.deps.db, req)),
  getEvent: rpc(READERS, GetEventRequest, GetEventResponse, (ctx, req) => getEventById(ctx.deps.db, req.eventId)),
  listSequenceGaps: rpc(['supervisor', 'auditor'], ListSequenceGapsRequest, ListSequenceGapsResponse, async (ctx) => ({
    cameras: await sequenceGaps(ctx.deps.db),
  })),
  fetchMissingEvents: rpc(['supervisor'], FetchMissingEventsRequest, FetchMissingEventsResponse, fetchMissingEvents),
  ...quarantineMethods,
});
