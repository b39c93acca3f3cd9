import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openDatabase } from '../../core/index.js';
import { registerDevice } from '../../core/devices/devices-repo.js';
import { TEST_DEVICE } from './events.js';
import type { Database } from '../../core/index.js';
import { copyPgliteTemplate } from './pglite-template.js';
import { tempDir } from './temp.js';

/** Where a test database lives: a PGlite folder, or a database on the server of DATABASE_URL. */
export interface TestDatabaseTarget extends AsyncDisposable {
  readonly config: { readonly url?: string; readonly pgliteDir?: string };
  readonly kind: 'pglite' | 'postgres';
}

/**
 * A fresh, empty database: a new database on the PostgreSQL server named by DATABASE_URL
 * when it is set, else a PGlite folder in a temporary directory (a copy of the run's empty
 * cluster: test/harness/pglite-template.ts). `emptyFolder`: on PGlite, a folder with no cluster
 * in it yet (what `zebra restore` asks for; PGlite makes one on first open).
 */
export async function createTestDatabase(
  options: { readonly emptyFolder?: boolean } = {},
): Promise<TestDatabaseTarget> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dir = await tempDir('zebra-pglite-');
    if (!options.emptyFolder) await copyPgliteTemplate(dir.path);
    return { kind: 'pglite', config: { pgliteDir: dir.path }, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
  }
  const name = `zebra_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    config: { url: url.toString() },
    async [Symbol.asyncDispose]() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Opens a test database target; disposing closes it. */
export async function openTestDatabase(target: TestDatabaseTarget): Promise<Database & AsyncDisposable> {
  const db = await openDatabase(target.config);
  return Object.assign(db, { [Symbol.asyncDispose]: () => db.close() });
}

/**
 * Registers the test device directly in a database no core is running on yet (migrating it
 * first), so a core started later accepts its events from the first message on.
 */
export async function preRegisterTestDevice(
  target: TestDatabaseTarget,
  device: { deviceId: string; siteId: string; publicKeyPem: string } = TEST_DEVICE,
): Promise<void> {
  const db = await openTestDatabase(target);
  try {
    await migrate(db);
    await db.transaction((tx) => registerDevice(tx, device, 'test-harness', Date.now()));
  } finally {
    await db.close();
  }
}
