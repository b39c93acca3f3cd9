import { createServer } from 'node:net';
import { CoreError, CoreErrorCode } from './errors.js';

/**
 * Fails at once when `listen` (host:port) cannot be bound, naming `key` — before the core
 * spends seconds opening its database and NATS only to find its port taken. The real bind
 * follows later and can still fail (a port taken in between); it names the key the same way.
 */
export async function assertCanListen(listen: string, key: string): Promise<void> {
  const sep = listen.lastIndexOf(':');
  const port = Number(listen.slice(sep + 1));
  if (port === 0) return;
  const host = listen.slice(0, sep).replace(/^\[(.*)\]$/, '$1');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new CoreError(CoreErrorCode.CONFIG_INVALID, `${key}: cannot bind ${listen}: ${err.message}`, { cause: err }),
      ),
    );
    server.listen({ port, host, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
