import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ApiDeps } from '../api/method.js';
import { checkpointToJson } from '../audit/export-format.js';
import { latestCheckpoint } from '../audit/audit-repo.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { consoleScript } from '../console/bundle.js';
import type { ServerTlsMaterial } from '../tls.js';
import { FetchAudits, serveEvidence } from './evidence-route.js';
import { gatewayError, serveGateway } from './gateway.js';
import { BASE_HEADERS, consoleHeaders } from './headers.js';
import { PACKAGE_ROUTE, servePackage } from './package-route.js';

const CONSOLE_HTML = new URL('../console/index.html', import.meta.url);

export interface HttpDeps {
  readonly api: ApiDeps;
  /** Health of the parts the core depends on. */
  readonly health: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export interface HttpServerHandle {
  readonly address: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, statusCode: number, body: unknown): void {
  res.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

let consolePage: Promise<{ html: Buffer; headers: ReturnType<typeof consoleHeaders> }> | undefined;

/** The console's page and its headers (the CSP carries the hash of its inline style), read once. */
function readConsolePage(): Promise<{ html: Buffer; headers: ReturnType<typeof consoleHeaders> }> {
  consolePage ??= readFile(CONSOLE_HTML).then((html) => ({ html, headers: consoleHeaders(html.toString('utf8')) }));
  return consolePage;
}

async function route(req: IncomingMessage, res: ServerResponse, deps: HttpDeps, audits: FetchAudits): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  if (url.pathname.startsWith('/api/v1/')) {
    const reply = await serveGateway(deps.api, req, res, `/${url.pathname.slice('/api/v1/'.length)}`);
    return reply && sendJson(res, reply.statusCode, reply.body);
  }
  if (req.method !== 'GET') return sendJson(res, 405, { error: 'only GET is served here' });
  if (url.pathname === '/healthz') {
    const health = await deps.health();
    return sendJson(res, health.ok ? 200 : 503, health);
  }
  if (url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': deps.api.metrics.registry.contentType });
    return void res.end(await deps.api.metrics.registry.metrics());
  }
  const evidence = /^\/api\/evidence\/([A-Za-z0-9_.-]+)$/.exec(url.pathname);
  if (evidence) return serveEvidence(req, res, deps.api, audits, evidence[1]!);
  const pkg = PACKAGE_ROUTE.exec(url.pathname);
  if (pkg) return servePackage(req, res, deps.api, pkg[1]!, url);
  // The log's public key and latest signed tree head are public, as in Certificate Transparency.
  if (url.pathname === '/api/audit/public-key') {
    res.writeHead(200, { 'content-type': 'application/x-pem-file' });
    return void res.end(deps.api.signer.publicKeyPem);
  }
  if (url.pathname === '/api/audit/checkpoint') {
    // The newest signed one: signing is the timer's work, never an anonymous request's.
    const cp = await latestCheckpoint(deps.api.db);
    if (!cp) return sendJson(res, 404, { error: 'no checkpoint is signed yet' });
    return sendJson(res, 200, checkpointToJson(cp));
  }
  if (url.pathname === '/app.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
    return void res.end(await consoleScript());
  }
  if (url.pathname === '/' || url.pathname === '/index.html') {
    const page = await readConsolePage();
    res.writeHead(200, page.headers);
    return void res.end(page.html);
  }
  return sendJson(res, 404, { error: `nothing at ${url.pathname}` });
}

/**
 * Health, Prometheus metrics, the JSON gateway, evidence links and the console on one HTTPS
 * listener. There is no cleartext port: a plain HTTP request fails the TLS handshake.
 */
export async function startHttpServer(
  listen: string,
  tls: ServerTlsMaterial,
  deps: HttpDeps,
): Promise<HttpServerHandle> {
  // The console's script is ready before the first request (read from dist/, or bundled from source).
  await consoleScript();
  const audits = new FetchAudits();
  const server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    for (const [name, value] of Object.entries(BASE_HEADERS)) res.setHeader(name, value!);
    route(req, res, deps, audits).catch((err: unknown) => {
      const reply = gatewayError(err);
      if (reply.statusCode >= 500) deps.api.logger.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) sendJson(res, reply.statusCode, reply.body);
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
