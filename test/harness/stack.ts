import type { NatsConnection } from '@nats-io/transport-node';
import { migrate } from '../../core/index.js';
import type { Database } from '../../core/index.js';
import { startTestCore } from './core.js';
import type { TestCore } from './core.js';
import { createTestDatabase, openTestDatabase } from './database.js';
import type { TestDatabaseTarget } from './database.js';
import { startTestNats } from './nats.js';
import type { TestNats } from './nats.js';

/** A real nats-server, a fresh database and the core in this process, plus a client connection. */
export interface TestStack extends AsyncDisposable {
  readonly nats: TestNats;
  readonly database: TestDatabaseTarget;
  readonly core: TestCore;
  readonly nc: NatsConnection;
}

export async function startTestStack(overrides: Record<string, unknown> = {}): Promise<TestStack> {
  const nats = await startTestNats();
  const database = await createTestDatabase();
  const core = await startTestCore(nats, database, overrides);
  const nc = await nats.connect();
  return {
    nats,
    database,
    core,
    nc,
    async [Symbol.asyncDispose]() {
      await nc.close();
      await core[Symbol.asyncDispose]();
      await nats[Symbol.asyncDispose]();
      await database[Symbol.asyncDispose]();
    },
  };
}

/** A fresh database with every migration applied; disposing closes and drops it. */
export async function migratedTestDatabase(): Promise<Database & AsyncDisposable> {
  const target = await createTestDatabase();
  const db = await openTestDatabase(target);
  await migrate(db);
  const close = db.close.bind(db);
  return Object.assign(db, {
    async [Symbol.asyncDispose]() {
      await close();
      await target[Symbol.asyncDispose]();
    },
  });
}
