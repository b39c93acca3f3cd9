import { Server, ServerCredentials, ServerInterceptingCall, status } from '@grpc/grpc-js';
import type {
  Metadata,
  ServerInterceptor,
  UntypedServiceImplementation,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
} from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { ApiDeps, ApiMethod, ChunkSink, StreamMethod } from '../api/method.js';
import { admit, runMethod, runStream } from '../api/invoke.js';
import { API_METHODS, API_SERVICES } from '../api/registry.js';
import type { Principal } from '../auth/authenticator.js';
import { bearerToken } from '../auth/tokens.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import type { ServerTlsMaterial } from '../tls.js';
import { toServiceError } from './status-map.js';

/** Requests and responses above this size are refused (RESOURCE_EXHAUSTED). */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GrpcServerHandle {
  /** host:port actually bound (port 0 resolves to a free port). */
  readonly address: string;
  /** The standard grpc.health.v1 service; "" and each zebra service report SERVING while up. */
  readonly health: HealthImplementation;
  close(): Promise<void>;
}

/** Marks a request that could not be decoded (e.g. an int64 beyond 2^53). */
const UNDECODABLE = Symbol('undecodable');

interface MethodDefinitionLike {
  readonly path: string;
  requestDeserialize(bytes: Buffer): unknown;
}

/**
 * The service definition with a request decoder that never throws: grpc-js would answer a
 * throwing decoder with INTERNAL; the handler answers the marker with INVALID_ARGUMENT instead.
 */
function tolerantDefinition(definition: Record<string, MethodDefinitionLike>): Record<string, MethodDefinitionLike> {
  return Object.fromEntries(
    Object.entries(definition).map(([key, method]) => [
      key,
      {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          try {
            return method.requestDeserialize(bytes);
          } catch (err) {
            return { [UNDECODABLE]: err instanceof Error ? err.message : String(err) };
          }
        },
      },
    ]),
  );
}

/** Principals the interceptor verified, keyed by the call's metadata object. */
const admitted = new WeakMap<Metadata, Principal>();

/**
 * The one interceptor: every zebra call must carry a deadline and a bearer token whose user
 * holds one of the method's roles. Refusals end the call before the handler runs, and are
 * audited. Calls outside zebra.v1 (the health service) pass through.
 */
function authInterceptor(deps: ApiDeps): ServerInterceptor {
  return (descriptor, call) => {
    const method = API_METHODS.get(descriptor.path);
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            if (!method) return proceed(metadata);
            if (call.getDeadline() === Infinity) {
              const err = new CoreError(CoreErrorCode.DEADLINE_REQUIRED, 'set a deadline on every call');
              return intercepting.sendStatus(statusOf(err));
            }
            const token = bearerToken(metadata.get('authorization')[0]?.toString());
            admit(deps, method, token, { via: 'grpc', peer: call.getPeer() }, Date.now()).then(
              (principal) => {
                admitted.set(metadata, principal);
                proceed(metadata);
              },
              (err: unknown) => intercepting.sendStatus(statusOf(err)),
            );
          },
        }),
    });
    return intercepting;
  };
}

function statusOf(err: unknown): { code: status; details: string; metadata?: Metadata } {
  const e = toServiceError(err);
  return { code: e.code ?? status.INTERNAL, details: e.details ?? 'internal error', metadata: e.metadata };
}

function unaryHandler(deps: ApiDeps, method: ApiMethod) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const principal = admitted.get(call.metadata);
    if (!principal) return callback({ code: status.UNAUTHENTICATED, details: 'the call was not authenticated' });
    const undecodable = (call.request as Record<symbol, string | undefined> | null)?.[UNDECODABLE];
    if (undecodable !== undefined) {
      const err = new CoreError(CoreErrorCode.INVALID_ARGUMENT, `the request could not be decoded: ${undecodable}`);
      return callback(toServiceError(err));
    }
    runMethod(deps, method, principal, call.request, { via: 'grpc', peer: call.getPeer() }).then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (!(err instanceof CoreError) || err.code === CoreErrorCode.DATA_CORRUPT)
          deps.logger.error({ err, method: method.path }, 'request failed');
        callback(toServiceError(err));
      },
    );
  };
}

/**
 * A chunk sink over a grpc-js server stream: honours backpressure (write() false → wait for
 * 'drain') and stops the handler when the client cancels or the deadline passes.
 */
export function grpcSink(call: ServerWritableStream<unknown, unknown>): ChunkSink<unknown> {
  const abort = new AbortController();
  call.on('cancelled', () => abort.abort());
  const gone = (): CoreError => new CoreError(CoreErrorCode.CANCELLED, 'the caller cancelled the call');
  return {
    signal: abort.signal,
    send: (chunk) => {
      if (abort.signal.aborted) return Promise.reject(gone());
      if (call.write(chunk)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onDrain = (): void => {
          abort.signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          call.off('drain', onDrain);
          reject(gone());
        };
        call.once('drain', onDrain);
        abort.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

function streamHandler(deps: ApiDeps, method: StreamMethod) {
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const principal = admitted.get(call.metadata);
    if (!principal)
      return void call.emit('error', { code: status.UNAUTHENTICATED, details: 'the call was not authenticated' });
    const undecodable = (call.request as Record<symbol, string | undefined> | null)?.[UNDECODABLE];
    if (undecodable !== undefined) {
      const err = new CoreError(CoreErrorCode.INVALID_ARGUMENT, `the request could not be decoded: ${undecodable}`);
      return void call.emit('error', toServiceError(err));
    }
    const sink = grpcSink(call);
    runStream(deps, method, principal, call.request, { via: 'grpc', peer: call.getPeer() }, sink).then(
      () => call.end(),
      (err: unknown) => {
        if (sink.signal.aborted) return;
        if (!(err instanceof CoreError) || err.code === CoreErrorCode.DATA_CORRUPT)
          deps.logger.error({ err, method: method.path }, 'request failed');
        call.emit('error', toServiceError(err));
      },
    );
  };
}

/**
 * Starts the gRPC API on `listen` (host:port), over TLS only: every zebra service plus
 * grpc.health.v1. With a client CA, a client must also present a certificate it signed.
 */
export async function startGrpcServer(
  listen: string,
  tls: ServerTlsMaterial,
  deps: ApiDeps,
): Promise<GrpcServerHandle> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.enable_channelz': 0,
    interceptors: [authInterceptor(deps)],
  });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  for (const service of API_SERVICES) {
    const impl: UntypedServiceImplementation = {};
    for (const [key, method] of Object.entries(service.methods))
      impl[key] = method.kind === 'stream' ? streamHandler(deps, method) : unaryHandler(deps, method);
    server.addService(tolerantDefinition(service.definition as never) as never, impl);
  }
  const credentials = ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== undefined,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, credentials, (err, boundPort) => (err ? reject(err) : resolve(boundPort))),
  ).catch((err: unknown) => {
    throw new CoreError(CoreErrorCode.CONFIG_INVALID, `grpc.listen: cannot bind ${listen}: ${String(err)}`, {
      cause: err,
    });
  });
  for (const service of API_SERVICES) {
    const name = Object.values(service.definition)[0]!.path.split('/')[1]!;
    health.setStatus(name, 'SERVING');
  }
  health.setStatus('', 'SERVING');
  const host = listen.slice(0, listen.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    health,
    close: () =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        const timer = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
