export {
  BoundingBox,
  Confidence,
  ConfidencePart,
  DeviceSignature,
  EvidenceRef,
  EvidenceStatus,
  InfractionEvent,
  ModelRef,
  RedactionSummary,
  SignalSnapshot,
  SignalSourceKind,
  SignalState,
  TrackHistory,
  TrackObservation,
} from './gen/zebra/v1/event.js';
export { ReviewState } from './gen/zebra/v1/review.js';
export {
  EventServiceClient,
  EventServiceService,
  EventSummary,
  GetEventRequest,
  GetEventResponse,
  ListEventsRequest,
  ListEventsResponse,
} from './gen/zebra/v1/event_service.js';
export type { EventServiceServer } from './gen/zebra/v1/event_service.js';
export { ReviewServiceService } from './gen/zebra/v1/review_service.js';
export { LedgerServiceService } from './gen/zebra/v1/ledger_service.js';
export { AuditServiceService } from './gen/zebra/v1/audit_service.js';
export {
  EVENTS_SUBJECT_WILDCARD,
  EVIDENCE_BUCKET,
  INFRACTIONS_STREAM,
  eventSubject,
  evidenceObjectKey,
  isSubjectToken,
} from './subjects.js';
export { eventSigningBytes } from './signing.js';
