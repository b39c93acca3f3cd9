import {
  EventServiceService,
  GetEventRequest,
  GetEventResponse,
  ListEventsRequest,
  ListEventsResponse,
} from '../../proto/index.js';
import { getEventById, listEventsPage } from './event-queries.js';
import { defineService, rpc } from './method.js';

const READERS = ['reviewer', 'supervisor', 'auditor'] as const;

export const eventService = defineService(EventServiceService, {
  listEvents: rpc(READERS, ListEventsRequest, ListEventsResponse, (ctx, req) => listEventsPage(ctx.deps.db, req)),
  getEvent: rpc(READERS, GetEventRequest, GetEventResponse, (ctx, req) => getEventById(ctx.deps.db, req.eventId)),
});
