import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import { EdgeError, EdgeErrorCode, errorMessage } from './errors.js';
import type { EdgeHealth } from './health.js';
import type { EdgeMetrics } from './metrics.js';

export type { EdgeHealth } from './health.js';

async function readTls(tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    return { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `http.tls: cannot read ${errorMessage(err)}`, { cause: err });
  }
}

/** Serves /healthz (200 or 503) and /metrics (Prometheus) over HTTPS on `listen` (host:port). */
export async function startEdgeHttp(
  listen: string,
  tls: { certFile: string; keyFile: string },
  metrics: Pick<EdgeMetrics, 'registry'>,
  health: () => EdgeHealth,
): Promise<{ address: string; close(): Promise<void> }> {
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `http.listen: "${listen}" is not host:port`);
  const { cert, key } = await readTls(tls);
  const server: Server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://edge').pathname;
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
