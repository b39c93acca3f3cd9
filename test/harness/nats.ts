import { startNatsServer } from '../../cli/nats-server.js';
import { tempDir } from './temp.js';
import type { NatsUser } from '../../proto/index.js';

export interface TestNats extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** Stops the server now (the temp folder goes on dispose). */
  stop(): Promise<void>;
}

/** A real nats-server with JetStream on a random port and a temporary store. */
export async function startTestNats(users?: readonly NatsUser[]): Promise<TestNats> {
  const dir = await tempDir('zebra-nats-');
  const server = await startNatsServer({ storeDir: dir.path, port: 0, users }).catch(async (err: unknown) => {
    await dir[Symbol.asyncDispose]();
    throw err;
  });
  return {
    url: server.url,
    port: server.port,
    stop: () => server.stop(),
    async [Symbol.asyncDispose]() {
      await server.stop();
      await dir[Symbol.asyncDispose]();
    },
  };
}
