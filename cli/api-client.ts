import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { API_SERVICES } from '../core/index.js';
import type { ClientTls } from './client-tls.js';

/** One method of a generated service definition (proto/gen `*ServiceService.method`). */
export interface MethodDefinition<Req, Res> {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

interface UnaryDefinition {
  readonly path: string;
  readonly responseStream?: boolean;
  requestSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

const DEFINITIONS = new Map<string, UnaryDefinition>(
  API_SERVICES.flatMap((s) =>
    Object.values(s.definition as unknown as Record<string, UnaryDefinition>).map((d) => [d.path, d] as const),
  ),
);
const CODECS = new Map(API_SERVICES.flatMap((s) => Object.values(s.methods).map((m) => [m.path, m.request] as const)));

export interface ApiStreamOptions {
  /** The whole call's deadline in ms (the server refuses calls without one); default a day. */
  readonly deadlineMs?: number;
  /** Cancel when no chunk came for this long (ms); default 60 s. */
  readonly idleTimeoutMs?: number;
}

export interface ApiCallOptions {
  /** Milliseconds; null sends no deadline at all (the server refuses such calls). */
  readonly deadlineMs?: number | null;
}

/**
 * A zebra gRPC client with one bearer token, over TLS trusting only the deployment's CA;
 * requests are plain objects in proto3 JSON form.
 */
export class ApiClient {
  readonly #client: Client;
  readonly address: string;
  /** The bearer token sent with every call. */
  readonly token: string | undefined;

  constructor(address: string, token: string | undefined, tls: ClientTls) {
    this.address = address;
    const channel = credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
    this.#client = new Client(address, channel, { 'grpc.enable_channelz': 0 });
    this.token = token;
  }

  #metadata(): Metadata {
    const metadata = new Metadata();
    if (this.token) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  #unreachable(details: string): string {
    return (
      `cannot reach the zebra core at ${this.address} over TLS (${details}): is it running, ` +
      'and is --ca (ZEBRA_CA_FILE) the CA that signed its certificate? (--server HOST:PORT or ZEBRA_GRPC_ADDR)'
    );
  }

  /**
   * Calls one unary method of a generated service definition, typed by it, e.g.
   * `client.unary(AdminServiceService.listUsers, ListUsersRequest.fromPartial({}))`.
   * Rejects with the ServiceError.
   */
  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, options: ApiCallOptions = {}): Promise<Res> {
    if (method.responseStream)
      return Promise.reject(new Error(`${method.path} streams its answer: use serverStream()`));
    const deadlineMs = options.deadlineMs === undefined ? 10_000 : options.deadlineMs;
    const callOptions = deadlineMs === null ? {} : { deadline: new Date(Date.now() + deadlineMs) };
    return new Promise((resolve, reject) =>
      this.#client.makeUnaryRequest(
        method.path,
        (value: Req) => method.requestSerialize(value),
        (bytes: Buffer) => method.responseDeserialize(bytes),
        request,
        this.#metadata(),
        callOptions,
        (err: ServiceError | null, response?: Res) => {
          if (!err) return resolve(response as Res);
          if (err.code === status.UNAVAILABLE) err.details = this.#unreachable(err.details);
          reject(err);
        },
      ),
    );
  }

  /**
   * Calls `path` (e.g. "/zebra.v1.ReviewService/ClaimEvent") with a proto3-JSON request, for
   * tests and tools that name methods as data; the CLI's own commands use `unary`.
   */
  call<Res>(path: string, request: Record<string, unknown> = {}, options: ApiCallOptions = {}): Promise<Res> {
    const definition = DEFINITIONS.get(path);
    const codec = CODECS.get(path);
    if (!definition || !codec) return Promise.reject(new Error(`no method ${path}`));
    return this.unary(definition as unknown as MethodDefinition<unknown, Res>, codec.fromJSON(request), options);
  }

  /**
   * Calls a server-streaming method and yields its chunks as they come (grpc-js pauses the
   * stream while the consumer is busy). The deadline fits the size: a long export runs as
   * long as chunks keep coming, and is cancelled after `idleTimeoutMs` without one.
   */
  stream<Res>(
    path: string,
    request: Record<string, unknown> = {},
    options: ApiStreamOptions = {},
  ): AsyncGenerator<Res> {
    const definition = DEFINITIONS.get(path);
    const codec = CODECS.get(path);
    if (!definition || !codec) throw new Error(`no method ${path}`);
    return this.serverStream(definition as unknown as MethodDefinition<unknown, Res>, codec.fromJSON(request), options);
  }

  /** A server-streaming method of a generated service definition, typed by it (see `stream`). */
  async *serverStream<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
    options: ApiStreamOptions = {},
  ): AsyncGenerator<Res> {
    const deadline = new Date(Date.now() + (options.deadlineMs ?? 24 * 3_600_000));
    const idleMs = options.idleTimeoutMs ?? 60_000;
    const call = this.#client.makeServerStreamRequest(
      method.path,
      (value: Req) => method.requestSerialize(value),
      (bytes: Buffer) => method.responseDeserialize(bytes),
      request,
      this.#metadata(),
      { deadline },
    );
    let isIdle = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        isIdle = true;
        call.cancel();
      }, idleMs);
    };
    arm();
    try {
      for await (const chunk of call as AsyncIterable<Res>) {
        clearTimeout(timer);
        yield chunk;
        arm();
      }
    } catch (err) {
      if (isIdle)
        throw new Error(`no data from the zebra core at ${this.address} for ${idleMs / 1000} s: gave up`, {
          cause: err,
        });
      const e = err as ServiceError;
      if (e.code === status.UNAVAILABLE) e.details = this.#unreachable(e.details);
      throw err;
    } finally {
      clearTimeout(timer);
      call.cancel(); // no-op once the call ended; stops it if the consumer stopped early
    }
  }

  close(): void {
    this.#client.close();
  }
}

/** Every RPC path the API serves. */
export function apiPaths(): string[] {
  return [...DEFINITIONS.keys()];
}
