import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ObjectStore } from '@nats-io/obj';
import { GetEventResponse, ListEventsResponse } from '../../proto/index.js';
import { listCheckpoints, loadEntries } from '../audit/audit-repo.js';
import { checkpointToJson, toExportJson } from '../audit/export-format.js';
import type { CheckpointSigner } from '../audit/signer.js';
import { checkpointNow } from '../audit/signer.js';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import { getEventById, listEventsPage } from '../grpc/event-service.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';

const CONSOLE_HTML = new URL('../console/index.html', import.meta.url);

export interface HttpDeps {
  readonly db: Queryable;
  readonly evidence: ObjectStore;
  readonly signer: CheckpointSigner;
  readonly metrics: CoreMetrics;
  readonly logger: Logger;
  /** Health of the parts the core depends on. */
  readonly health: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export interface HttpServerHandle {
  readonly address: string;
  close(): Promise<void>;
}

const HTTP_STATUS: Partial<Record<CoreErrorCode, number>> = {
  [CoreErrorCode.INVALID_ARGUMENT]: 400,
  [CoreErrorCode.EVENT_NOT_FOUND]: 404,
};

function sendJson(res: ServerResponse, statusCode: number, body: unknown): void {
  res.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function route(req: IncomingMessage, res: ServerResponse, deps: HttpDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET') return sendJson(res, 405, { error: 'only GET is served' });
  if (url.pathname === '/healthz') {
    const health = await deps.health();
    return sendJson(res, health.ok ? 200 : 503, health);
  }
  if (url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
    return void res.end(await deps.metrics.registry.metrics());
  }
  if (url.pathname === '/api/events') {
    const page = await listEventsPage(deps.db, {
      pageSize: Number(url.searchParams.get('pageSize') ?? 0),
      pageToken: url.searchParams.get('pageToken') ?? '',
      cameraId: url.searchParams.get('cameraId') ?? '',
    });
    return sendJson(res, 200, ListEventsResponse.toJSON(page));
  }
  const eventMatch = /^\/api\/events\/([^/]+)$/.exec(url.pathname);
  if (eventMatch)
    return sendJson(res, 200, GetEventResponse.toJSON(await getEventById(deps.db, decodeURIComponent(eventMatch[1]!))));
  if (url.pathname === '/api/evidence') {
    const key = url.searchParams.get('key') ?? '';
    const bytes = key ? await deps.evidence.getBlob(key) : null;
    if (!bytes) return sendJson(res, 404, { error: `no evidence object "${key}"` });
    res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' });
    return void res.end(bytes);
  }
  if (url.pathname.startsWith('/api/audit/')) return routeAudit(url, res, deps);
  if (url.pathname === '/' || url.pathname === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return void res.end(await readFile(CONSOLE_HTML));
  }
  return sendJson(res, 404, { error: `nothing at ${url.pathname}` });
}

/** The audit log for auditors: the pinned public key, the current checkpoint, and full exports. */
async function routeAudit(url: URL, res: ServerResponse, deps: HttpDeps): Promise<void> {
  if (url.pathname === '/api/audit/public-key') {
    res.writeHead(200, { 'content-type': 'application/x-pem-file' });
    return void res.end(deps.signer.publicKeyPem);
  }
  if (url.pathname === '/api/audit/checkpoint') {
    const cp = await checkpointNow(deps.db, deps.signer, Date.now());
    if (!cp) return sendJson(res, 404, { error: 'the audit log is empty' });
    return sendJson(res, 200, checkpointToJson(cp));
  }
  if (url.pathname === '/api/audit/export') {
    // A fresh checkpoint first, so that every exported entry is covered by a signature.
    await checkpointNow(deps.db, deps.signer, Date.now());
    const [entries, checkpoints] = [await loadEntries(deps.db), await listCheckpoints(deps.db)];
    return sendJson(res, 200, toExportJson(deps.signer.origin, Date.now(), { entries, checkpoints }));
  }
  return sendJson(res, 404, { error: `nothing at ${url.pathname}` });
}

/** Health, Prometheus metrics, the JSON gateway and the console page on one HTTP listener. */
export async function startHttpServer(listen: string, deps: HttpDeps): Promise<HttpServerHandle> {
  const server = createServer((req, res) => {
    route(req, res, deps).catch((err: unknown) => {
      const statusCode = err instanceof CoreError ? (HTTP_STATUS[err.code] ?? 500) : 500;
      if (statusCode === 500) deps.logger.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent)
        sendJson(res, statusCode, { error: statusCode === 500 ? 'internal error' : errorMessage(err) });
      else res.end();
    });
  });
  const sep = listen.lastIndexOf(':');
  const host = listen.slice(0, sep);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new CoreError(CoreErrorCode.CONFIG_INVALID, `http.listen: cannot bind ${listen}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(Number(listen.slice(sep + 1)), host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
