import { parseCoreConfig, startCore } from '../../core/index.js';
import type { CoreHandle } from '../../core/index.js';
import { createCoreLogger } from '../../core/index.js';
import type { LogSink } from './log-sink.js';
import { createLogSink } from './log-sink.js';
import type { TestDatabaseTarget } from './database.js';
import { tempDir } from './temp.js';
import { join } from 'node:path';

export interface TestCore extends AsyncDisposable {
  readonly core: CoreHandle;
  readonly logs: LogSink;
  /** The checkpoint signing key (outside the database). */
  readonly auditKeyFile: string;
}

/** The core in this process on 127.0.0.1:0 (gRPC and HTTP), logging into a sink. */
export async function startTestCore(
  natsUrl: string,
  database: TestDatabaseTarget,
  overrides: Record<string, unknown> = {},
): Promise<TestCore> {
  const keyDir = await tempDir('zebra-audit-key-');
  const config = parseCoreConfig(
    {
      logLevel: process.env.TEST_LOG_LEVEL ?? 'info',
      database: database.config,
      nats: { servers: [natsUrl] },
      grpc: { listen: '127.0.0.1:0' },
      http: { listen: '127.0.0.1:0' },
      audit: { signingKeyFile: join(keyDir.path, 'audit-key.pem') },
      ...overrides,
    },
    process.cwd(),
    {},
    'test',
  );
  const logs = createLogSink();
  const core = await startCore(config, createCoreLogger(config.logLevel, logs.stream));
  return {
    core,
    logs,
    auditKeyFile: config.audit.signingKeyFile,
    async [Symbol.asyncDispose]() {
      await core.close();
      await keyDir[Symbol.asyncDispose]();
    },
  };
}
