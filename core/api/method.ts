import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import type { UserRole } from '../auth/roles.js';
import type { CheckpointSigner } from '../audit/signer.js';
import type { CoreConfig } from '../config.js';
import type { Database } from '../db/database.js';
import type { DeviceKeyCache } from '../devices/devices-repo.js';
import type { EvidenceTickets } from '../evidence/tickets.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';
import type { DenialLog } from './denials.js';

/** What every API handler may use. */
export interface ApiDeps {
  readonly db: Database;
  readonly authenticator: Authenticator;
  readonly signer: CheckpointSigner;
  readonly tickets: EvidenceTickets;
  /** Registered devices, as ingest sees them. */
  readonly devices: DeviceKeyCache;
  /** Undefined only in tools that run handlers without NATS. */
  readonly evidence: ObjectStore | undefined;
  /** The hub connection, for reading site outboxes; undefined without NATS. */
  readonly nats?: NatsConnection;
  readonly config: Pick<CoreConfig, 'review' | 'ledger' | 'auth'>;
  readonly metrics: CoreMetrics;
  readonly logger: Logger;
  /** Audits refused calls; unauthenticated ones aggregated per source and minute. */
  readonly denials: DenialLog;
}

/** One authenticated call (or, for a public method, a call by "anonymous" with no roles). */
export interface CallContext {
  readonly principal: Principal;
  readonly nowMs: number;
  readonly deps: ApiDeps;
}

/** The proto3 JSON mapping of a message, as ts-proto generates it. */
export interface Codec<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
}

/**
 * One RPC: who may call it and what it does. The gRPC server and the JSON gateway both serve
 * exactly these, through the same authentication and role check.
 */
export interface ApiMethod<Req = unknown, Res = unknown> {
  /** The gRPC path, e.g. "/zebra.v1.ReviewService/ClaimEvent". */
  readonly path: string;
  readonly roles: readonly UserRole[];
  readonly request: Codec<Req>;
  readonly response: Codec<Res>;
  /** Takes no bearer token (enrolment: the request itself carries the credential). */
  readonly isPublic?: boolean;
  handle(ctx: CallContext, request: Req): Promise<Res>;
}

/** Every role: for calls any signed-in user may make. */
export const ANY_ROLE: readonly UserRole[] = ['reviewer', 'supervisor', 'auditor', 'admin'];

/** A grpc-js service definition as ts-proto emits it: method key → path and codecs. */
export type ServiceDefinitionLike = Record<string, { readonly path: string }>;

/** A method before its path is known. */
export type MethodSpec = Omit<ApiMethod, 'path'>;

/** Declares one method; the helper ties the codecs' types to the handler's. */
export function rpc<Req, Res>(
  roles: readonly UserRole[],
  request: Codec<Req>,
  response: Codec<Res>,
  handle: (ctx: CallContext, request: Req) => Promise<Res>,
): MethodSpec {
  return { roles, request, response, handle };
}

/** Declares a method that takes no token; its handler must authenticate the request itself. */
export function publicRpc<Req, Res>(
  request: Codec<Req>,
  response: Codec<Res>,
  handle: (ctx: CallContext, request: Req) => Promise<Res>,
): MethodSpec {
  return { roles: [], request, response, isPublic: true, handle };
}

/** A service: its grpc-js definition and one method entry per RPC. */
export interface ApiService {
  readonly definition: ServiceDefinitionLike;
  readonly methods: Readonly<Record<string, ApiMethod>>;
}

/** Pairs a definition with its methods, filling in each path; fails at startup if one is missing. */
export function defineService(
  definition: ServiceDefinitionLike,
  methods: Readonly<Record<string, MethodSpec>>,
): ApiService {
  const out: Record<string, ApiMethod> = {};
  for (const [key, def] of Object.entries(definition)) {
    const method = methods[key];
    if (!method) throw new Error(`no handler for ${def.path}`);
    out[key] = { ...method, path: def.path };
  }
  return { definition, methods: out };
}
