import { adminService } from './admin-methods.js';
import { auditService } from './audit-methods.js';
import { enrolmentService } from './enrolment-methods.js';
import { eventService } from './event-methods.js';
import { ledgerService } from './ledger-methods.js';
import type { ApiMethod, ApiService } from './method.js';
import { reviewService } from './review-methods.js';

/** Every service the API serves, over gRPC and the JSON gateway alike. */
export const API_SERVICES: readonly ApiService[] = [
  eventService,
  reviewService,
  ledgerService,
  auditService,
  adminService,
  enrolmentService,
];

/** Every method by gRPC path. */
export const API_METHODS: ReadonlyMap<string, ApiMethod> = new Map(
  API_SERVICES.flatMap((s) => Object.values(s.methods).map((m) => [m.path, m] as const)),
);
