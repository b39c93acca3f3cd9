import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import { ApiClient } from '../../cli/api-client.js';
import type { ClientTls } from '../../cli/client-tls.js';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { stopProcess } from '../../cli/nats-server.js';
import type { TestDatabaseTarget } from './database.js';
import { writeTestCoreKey } from './core-key.js';
import { waitFor } from './temp.js';
import { parseCoreConfig } from '../../core/index.js';
import { NATS_CORE_USER } from '../../proto/index.js';
import type { TestNats } from './nats.js';
import { setupTestHub, writeTestNatsClient } from './nats-setup.js';

/** Enough of a core config to read its ingest and transport settings for setup. */
const CONFIG_STUB = {
  database: { pgliteDir: 'unused' },
  nats: { servers: ['nats://unused'], passwordFile: 'unused', caFile: 'unused' },
  grpc: { tls: { certFile: 'unused', keyFile: 'unused' } },
  http: { tls: { certFile: 'unused', keyFile: 'unused' } },
  audit: { signingKeyFile: 'unused' },
  auth: { bootstrapTokenFile: 'unused' },
  ingest: { batchSize: 64, ackWaitMs: 5_000, retryDelayMs: 200 },
};
import { testClientTls, testHttps, testServerTls } from './pki.js';

const CLI = resolve(import.meta.dirname, '../../bin/zebra.js');

export interface CoreProcess {
  readonly child: ChildProcess;
  readonly grpcAddress: string;
  readonly httpAddress: string;
  /** What clients connect with: the run's CA (and a client certificate). */
  readonly tls: ClientTls;
  /** A token of an auditor (created on first use), for reading events through the API. */
  readerToken(): Promise<string>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `zebra core run` as a child process, like production; its log goes to `logFile`. `launch`
 * runs another build of the CLI (`cli`, default the source tree's bin/zebra.js) under Node options.
 */
export async function startCoreProcess(
  workDir: string,
  nats: TestNats,
  database: TestDatabaseTarget,
  ports: { grpc: number; http: number },
  logFile: string,
  extra: Record<string, unknown> = {},
  launch: { cli?: string; nodeArgs?: readonly string[] } = {},
): Promise<CoreProcess> {
  const config = join(workDir, 'core.yaml');
  // A restart keeps the key the first start was given.
  await writeTestCoreKey(join(workDir, 'audit-key.pem'));
  const natsConfig = await writeTestNatsClient(nats, workDir, NATS_CORE_USER);
  await setupTestHub(nats, parseCoreConfig({ ...CONFIG_STUB, ...extra }, workDir, {}, 'test'));
  const tls = await testServerTls();
  await writeFile(
    config,
    stringify({
      logLevel: 'info',
      database: database.config,
      nats: natsConfig,
      grpc: { listen: `127.0.0.1:${ports.grpc}`, tls },
      http: { listen: `127.0.0.1:${ports.http}`, tls },
      ingest: { batchSize: 64, ackWaitMs: 5_000, retryDelayMs: 200 },
      audit: { signingKeyFile: join(workDir, 'audit-key.pem') },
      auth: { bootstrapTokenFile: join(workDir, 'admin-token') },
      ...extra,
    }),
  );
  const cli = [...(launch.nodeArgs ?? []), launch.cli ?? CLI];
  const child = spawn(process.execPath, [...cli, 'core', 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const httpAddress = `127.0.0.1:${ports.http}`;
  await waitFor(
    'core health',
    async () => {
      if (child.exitCode !== null) throw new Error(`core exited with ${child.exitCode}; see ${logFile}`);
      return testHttps(`https://${httpAddress}/healthz`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      );
    },
    60_000,
  );
  return {
    child,
    grpcAddress: `127.0.0.1:${ports.grpc}`,
    httpAddress,
    tls: await testClientTls(),
    readerToken: async () => {
      const admin = new ApiClient(
        `127.0.0.1:${ports.grpc}`,
        (await readFile(join(workDir, 'admin-token'), 'utf8')).trim(),
        await testClientTls(),
      );
      const anonymous = new ApiClient(`127.0.0.1:${ports.grpc}`, undefined, await testClientTls());
      try {
        // A new code each time (create, or reset once created); the reader enrols with it.
        const { enrolmentCode } = await admin
          .call<{ enrolmentCode: string }>('/zebra.v1.AdminService/CreateUser', {
            userId: 'test-reader',
            roles: ['ROLE_AUDITOR'],
          })
          .catch((err: { code?: number }) => {
            if (err.code !== status.ALREADY_EXISTS) throw err;
            return admin.call<{ enrolmentCode: string }>('/zebra.v1.AdminService/ResetEnrolment', {
              userId: 'test-reader',
            });
          });
        return (await anonymous.call<{ token: string }>('/zebra.v1.EnrolmentService/Enrol', { code: enrolmentCode }))
          .token;
      } finally {
        admin.close();
        anonymous.close();
      }
    },
    kill9: async () => {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
    stop: () => stopProcess(child),
  };
}
