import type { ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Authenticator, Principal } from '../auth/authenticator.js';
import { ROLE_NAMES } from '../../proto/index.js';
import type { RoleName } from '../../proto/index.js';
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
  /** `transport.sites`, when given, are the sites a device may be registered at (with those of registered devices). */
  readonly config: Pick<CoreConfig, 'review' | 'ledger' | 'auth'> & {
    readonly transport?: Pick<CoreConfig['transport'], 'sites'>;
  };
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

interface MethodCommon<Req, Res> {
  /** The gRPC path, e.g. "/zebra.v1.ReviewService/ClaimEvent". */
  readonly path: string;
  readonly roles: readonly RoleName[];
  readonly request: Codec<Req>;
  readonly response: Codec<Res>;
  /** Takes no bearer token (enrolment: the request itself carries the credential). */
  readonly isPublic?: boolean;
}

/** A unary RPC: one request, one response. */
export interface UnaryMethod<Req = unknown, Res = unknown> extends MethodCommon<Req, Res> {
  readonly kind: 'unary';
  handle(ctx: CallContext, request: Req): Promise<Res>;
}

/**
 * Where a server-streaming handler sends its chunks: `send` resolves once the transport can
 * take more (grpc-js write() / res.write() returned true, or 'drain' came), and rejects once
 * the caller has gone; `signal` aborts then too, so a handler stops reading the database.
 */
export interface ChunkSink<Res> {
  send(chunk: Res): Promise<void>;
  readonly signal: AbortSignal;
}

/** A server-streaming RPC: one request, a stream of chunks, never built whole in memory. */
export interface StreamMethod<Req = unknown, Res = unknown> extends MethodCommon<Req, Res> {
  readonly kind: 'stream';
  stream(ctx: CallContext, request: Req, sink: ChunkSink<Res>): Promise<void>;
  /** What the JSON gateway writes for each chunk (default: the chunk's proto3 JSON and "\n", NDJSON). */
  httpBody?(chunk: Res): Uint8Array;
}

/**
 * One RPC: who may call it and what it does. The gRPC server and the JSON gateway both serve
 * exactly these, through the same authentication and role check.
 */
export type ApiMethod<Req = unknown, Res = unknown> = UnaryMethod<Req, Res> | StreamMethod<Req, Res>;

/** Every role: for calls any signed-in user may make. */
export const ANY_ROLE: readonly RoleName[] = ROLE_NAMES;

/** A grpc-js service definition as ts-proto emits it: method key → path and codecs. */
export type ServiceDefinitionLike = Record<string, { readonly path: string }>;

/** A method before its path is known. */
export type MethodSpec = Omit<UnaryMethod, 'path'> | Omit<StreamMethod, 'path'>;

/** Declares one method; the helper ties the codecs' types to the handler's. */
export function rpc<Req, Res>(
  roles: readonly RoleName[],
  request: Codec<Req>,
  response: Codec<Res>,
  handle: (ctx: CallContext, request: Req) => Promise<Res>,
): MethodSpec {
  return { kind: 'unary', roles, request, response, handle };
}

/** Declares a server-streaming method; `httpBody` picks what the gateway writes per chunk. */
export function streamRpc<Req, Res>(
  roles: readonly RoleName[],
  request: Codec<Req>,
  response: Codec<Res>,
  stream: (ctx: CallContext, request: Req, sink: ChunkSink<Res>) => Promise<void>,
  httpBody?: (chunk: Res) => Uint8Array,
): MethodSpec {
  return { kind: 'stream', roles, request, response, stream, httpBody };
}

/** Declares a method that takes no token; its handler must authenticate the request itself. */
export function publicRpc<Req, Res>(
  request: Codec<Req>,
  response: Codec<Res>,
  handle: (ctx: CallContext, request: Req) => Promise<Res>,
): MethodSpec {
  return { kind: 'unary', roles: [], request, response, isPublic: true, handle };
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
