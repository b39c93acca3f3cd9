import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { EdgeError, EdgeErrorCode, errorMessage } from './errors.js';
import type { EdgeMetrics } from './metrics.js';

/** The edge's health as /healthz reports it. */
export interface EdgeHealth {
  readonly ok: boolean;
  readonly checks: Record<string, string>;
}

/** Serves /healthz (200 or 503) and /metrics (Prometheus) on `listen` (host:port). */
export async function startEdgeHttp(
  listen: string,
  metrics: EdgeMetrics,
  health: () => EdgeHealth,
): Promise<{ address: string; close(): Promise<void> }> {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `http.listen: "${listen}" is not host:port`);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://edge').pathname;
    if (path === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(h));
    }
    if (path === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /healthz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new EdgeError(EdgeErrorCode.CONFIG_INVALID, `http.listen: cannot listen on ${listen}: ${errorMessage(err)}`, {
          cause: err,
        }),
      ),
    );
    server.listen(Number(match[2]), match[1], () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(match[2]);
  return {
    address: `${match[1]}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
