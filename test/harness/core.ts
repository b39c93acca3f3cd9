import { parseCoreConfig, startCore } from '../../core/index.js';
import type { CoreHandle } from '../../core/index.js';
import { createCoreLogger } from '../../core/index.js';
import type { LogSink } from './log-sink.js';
import { createLogSink } from './log-sink.js';
import type { TestDatabaseTarget } from './database.js';
import { writeTestCoreKey } from './core-key.js';
import { tempDir } from './temp.js';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { ApiClient } from '../../cli/api-client.js';
import type { ClientTls } from '../../cli/client-tls.js';
import { TEST_DEVICE } from './events.js';
import { NATS_CORE_USER, roleOf, roleToJSON } from '../../proto/index.js';
import type { RoleName } from '../../proto/index.js';
import type { TestNats } from './nats.js';
import { setupTestHub, writeTestNatsClient } from './nats-setup.js';
import { testClientTls, testServerTls } from './pki.js';

/** ROLE_REVIEWER etc., as the JSON body of a request names it. */
const roleEnum = (role: RoleName): string => roleToJSON(roleOf(role));

export interface TestCore extends AsyncDisposable {
  readonly core: CoreHandle;
  readonly logs: LogSink;
  /** The checkpoint signing key (outside the database). */
  readonly auditKeyFile: string;
  /** The bootstrap admin's token. */
  readonly adminToken: string;
  /** What clients connect to this core with: the run's CA (and a client certificate). */
  readonly tls: ClientTls;
  /**
   * Creates a user with these roles through the admin API, enrols them with the one-time code
   * (as the person would), and returns a gRPC client with their own token.
   */
  person(userId: string, roles: readonly RoleName[]): Promise<ApiClient>;
  /** Redeems an enrolment code without a token; returns the new token. */
  enrol(code: string): Promise<string>;
  /** Registers a device through the admin API. */
  registerDevice(device: { deviceId: string; siteId: string; publicKeyPem: string }): Promise<void>;
}

/**
 * The core in this process on 127.0.0.1:0 (gRPC and HTTP), logging into a sink; its NATS user
 * is `core` (least privilege) after the setup identity has made the hub's streams.
 */
/** The core in this process on 127.0.0.1:0 (gRPC and HTTPS, TLS from the run's CA), logging into a sink. */
export async function startTestCore(
  nats: TestNats,
  database: TestDatabaseTarget,
  overrides: Record<string, unknown> = {},
): Promise<TestCore> {
  const keyDir = await tempDir('zebra-audit-key-');
  await writeTestCoreKey(join(keyDir.path, 'audit-key.pem'));
  const natsConfig = await writeTestNatsClient(nats, keyDir.path, NATS_CORE_USER);
  const tls = await testServerTls();
  const clientTls = await testClientTls();
  const config = parseCoreConfig(
    {
      logLevel: process.env.TEST_LOG_LEVEL ?? 'info',
      database: database.config,
      nats: natsConfig,
      grpc: { listen: '127.0.0.1:0', tls },
      http: { listen: '127.0.0.1:0', tls },
      auth: { bootstrapTokenFile: join(keyDir.path, 'admin-token') },
      ...overrides,
      // Audit settings in overrides add to the harness's key file.
      audit: { signingKeyFile: join(keyDir.path, 'audit-key.pem'), ...(overrides.audit as object | undefined) },
    },
    process.cwd(),
    {},
    'test',
  );
  await setupTestHub(nats, config);
  const logs = createLogSink();
  const core = await startCore(config, createCoreLogger(config.logLevel, logs.stream));
  const adminToken = (await readFile(config.auth.bootstrapTokenFile, 'utf8')).trim();
  const clients: ApiClient[] = [];
  const admin = new ApiClient(core.grpcAddress, adminToken, clientTls);
  clients.push(admin);
  // The test device's site must be one this core knows (a core with transport.sites refuses others).
  const sites = config.transport.sites;
  if (sites.length === 0 || sites.includes(TEST_DEVICE.siteId))
    await admin.call('/zebra.v1.AdminService/RegisterDevice', { ...TEST_DEVICE });
  const anonymous = new ApiClient(core.grpcAddress, undefined, clientTls);
  clients.push(anonymous);
  const enrol = async (code: string): Promise<string> =>
    (await anonymous.call<{ token: string }>('/zebra.v1.EnrolmentService/Enrol', { code, label: 'test' })).token;
  return {
    core,
    logs,
    auditKeyFile: config.audit.signingKeyFile,
    adminToken,
    tls: clientTls,
    async person(userId, roles) {
      const { enrolmentCode } = await admin.call<{ enrolmentCode: string }>('/zebra.v1.AdminService/CreateUser', {
        userId,
        displayName: userId,
        roles: roles.map(roleEnum),
      });
      const client = new ApiClient(core.grpcAddress, await enrol(enrolmentCode), clientTls);
      clients.push(client);
      return client;
    },
    enrol,
    async registerDevice(device) {
      await admin.call('/zebra.v1.AdminService/RegisterDevice', { ...device });
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) client.close();
      await core.close();
      await keyDir[Symbol.asyncDispose]();
    },
  };
}
