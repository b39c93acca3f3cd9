import { connect } from 'node:net';

/** How long one check waits for the camera to accept (a host that drops packets never refuses). */
const CONNECT_TIMEOUT_MS = 500;

/** The host and TCP port of an RTSP(S) or HTTP(S) URL (554, 322, 80, 443 by default); undefined for others. Pure. */
export function streamEndpoint(input: string): { host: string; port: number } | undefined {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return undefined;
  }
  const defaults: Record<string, number> = { 'rtsp:': 554, 'rtsps:': 322, 'http:': 80, 'https:': 443 };
  // Only schemes that run over TCP (RTSP is always opened over TCP here): a UDP stream has no port to connect to.
  if (!(url.protocol in defaults)) return undefined;
  const port = url.port ? Number(url.port) : defaults[url.protocol];
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return port && host ? { host, port } : undefined;
}

/**
 * A check that the camera accepts a TCP connection (opened and closed at once, nothing sent):
 * far cheaper than starting ffmpeg, so an outage can be watched closely.
 */
export function tcpReachable(host: string, port: number): () => Promise<boolean> {
  return () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      const done = (ok: boolean): void => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
}
