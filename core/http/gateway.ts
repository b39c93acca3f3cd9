import type { IncomingMessage, ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import { admit, runMethod, runStream } from '../api/invoke.js';
import type { ApiDeps, ApiMethod, ChunkSink, StreamMethod } from '../api/method.js';
import { API_METHODS } from '../api/registry.js';
import { bearerToken } from '../auth/tokens.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { toServiceError } from '../grpc/status-map.js';

const MAX_BODY_BYTES = 1024 * 1024;

/** gRPC status → HTTP status, as in google.api / grpc-gateway. */
const HTTP_OF: Partial<Record<status, number>> = {
  [status.OK]: 200,
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 412,
  [status.OUT_OF_RANGE]: 400,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.ABORTED]: 409,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.UNIMPLEMENTED]: 501,
  [status.CANCELLED]: 499,
};

export interface GatewayReply {
  readonly statusCode: number;
  readonly body: unknown;
}

/** The HTTP form of any error, through the same code table as gRPC. */
export function gatewayError(err: unknown): GatewayReply {
  const e = toServiceError(err);
  const statusCode = HTTP_OF[e.code ?? status.INTERNAL] ?? 500;
  const code = err instanceof CoreError ? err.code : 'INTERNAL';
  return { statusCode, body: { code, error: e.details ?? 'internal error' } };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'the request body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'the request body must be a JSON object');
  return body;
}

/** The request message from proto3 JSON; a value the codec cannot take is the caller's error. */
function decodeJson(method: ApiMethod, body: unknown): unknown {
  try {
    return method.request.fromJSON(body);
  } catch (err) {
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `the request does not fit ${method.path}: ${String(err)}`);
  }
}

/**
 * A chunk sink over an HTTP response: honours backpressure (write() false → wait for 'drain')
 * and aborts when the client disconnects before the end.
 */
export function httpSink<T>(res: ServerResponse, body: (chunk: T) => Uint8Array | string): ChunkSink<T> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const gone = (): CoreError => new CoreError(CoreErrorCode.CANCELLED, 'the client went away');
  return {
    signal: abort.signal,
    send: (chunk) => {
      if (abort.signal.aborted) return Promise.reject(gone());
      if (res.write(body(chunk))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onDrain = (): void => {
          abort.signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          res.off('drain', onDrain);
          reject(gone());
        };
        res.once('drain', onDrain);
        abort.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/**
 * A streaming method over HTTP: NDJSON, chunked. The status line goes out with the first
 * chunk, so an error before it is still an ordinary JSON error reply; an error after it cuts
 * the body short (the file then lacks its trailer, which the verifier reports).
 */
async function serveStream(
  deps: ApiDeps,
  method: StreamMethod,
  principal: Awaited<ReturnType<typeof admit>>,
  request: unknown,
  origin: { via: 'http'; peer: string },
  res: ServerResponse,
): Promise<GatewayReply | undefined> {
  const encode = (chunk: unknown): Uint8Array | string =>
    method.httpBody ? method.httpBody(chunk) : `${JSON.stringify(method.response.toJSON(chunk))}\n`;
  const sink = httpSink(res, (chunk: unknown) => {
    if (!res.headersSent)
      res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
    return encode(chunk);
  });
  try {
    await runStream(deps, method, principal, request, origin, sink);
  } catch (err) {
    if (!res.headersSent) throw err;
    if (!sink.signal.aborted) deps.logger.error({ err, method: method.path }, 'stream failed after it began');
    res.destroy();
    return undefined;
  }
  if (!res.headersSent)
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' });
  res.end();
  return undefined;
}

/**
 * The JSON gateway: `POST /api/v1/zebra.v1.<Service>/<Method>` with the request message in
 * proto3 JSON, answered with the response message in proto3 JSON. Same handlers, same token
 * and role check, same audit of refusals as gRPC. A server-streaming method answers NDJSON
 * (one chunk after another, as the handler produces them) and returns undefined.
 */
export async function serveGateway(
  deps: ApiDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<GatewayReply | undefined> {
  const method = API_METHODS.get(path);
  if (!method) return { statusCode: 404, body: { code: 'NOT_FOUND', error: `no method ${path}` } };
  if (req.method !== 'POST') return { statusCode: 405, body: { code: 'METHOD', error: 'use POST' } };
  const origin = {
    via: 'http' as const,
    peer: `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`,
  };
  try {
    const principal = await admit(deps, method, bearerToken(req.headers.authorization), origin, Date.now());
    const request = decodeJson(method, await readBody(req));
    if (method.kind === 'stream') return await serveStream(deps, method, principal, request, origin, res);
    const response = await runMethod(deps, method, principal, request, origin);
    return { statusCode: 200, body: method.response.toJSON(response) };
  } catch (err) {
    if (!(err instanceof CoreError) || err.code === CoreErrorCode.DATA_CORRUPT)
      deps.logger.error({ err, method: path }, 'gateway request failed');
    return gatewayError(err);
  }
}
