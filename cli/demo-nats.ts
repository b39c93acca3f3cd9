import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  HUB_DOMAIN,
  NATS_CORE_USER,
  NATS_SETUP_USER,
  controllerPermissions,
  corePermissions,
  siteDevicePermissions,
} from '../proto/index.js';
import type { NatsUser } from '../proto/index.js';
import { freePort, startNatsServer } from './nats-server.js';
import type { NatsServerHandle } from './nats-server.js';
import { loopbackPki } from './pki.js';
import type { TlsFiles } from './pki.js';

/** A NATS identity as a process is configured with it: the user and the file holding its secret. */
export interface NatsIdentity {
  readonly user: string;
  readonly password: string;
  readonly passwordFile: string;
}

export interface DemoNats {
  readonly hub: NatsServerHandle;
  readonly site: NatsServerHandle;
  readonly tls: Required<TlsFiles>;
  readonly hubSetup: NatsIdentity;
  readonly siteSetup: NatsIdentity;
  readonly core: NatsIdentity;
  readonly device: NatsIdentity;
  /** One per signal controller (`controller-<id>`: may publish only its signal subject). */
  readonly controllers: readonly NatsIdentity[];
  stop(): Promise<void>;
}

async function identity(secretsDir: string, file: string, user: string): Promise<NatsIdentity> {
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(secretsDir, file);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  return { user, password, passwordFile };
}

const asUser = (id: NatsIdentity, permissions?: NatsUser['permissions']): NatsUser => ({
  user: id.user,
  password: id.password,
  ...(permissions ? { permissions } : {}),
});

/**
 * The demo's hub and site leaf node, as a real deployment has them: TLS from a private CA made
 * in `work/pki`, a secret per identity in `work/secrets` (0600), the site signing in to the
 * hub's leaf port as itself, and each process with its least privilege.
 */
export async function startDemoNats(
  work: string,
  ids: { siteId: string; deviceId: string; ingestDurable: string; controllers?: readonly string[] },
): Promise<DemoNats> {
  const tls = await loopbackPki(join(work, 'pki'));
  const secrets = join(work, 'secrets');
  await mkdir(secrets, { recursive: true, mode: 0o700 });
  const hubSetup = await identity(secrets, 'nats-hub-setup', NATS_SETUP_USER);
  const siteSetup = await identity(secrets, 'nats-site-setup', NATS_SETUP_USER);
  const core = await identity(secrets, 'nats-core', NATS_CORE_USER);
  const device = await identity(secrets, 'nats-device', ids.deviceId);
  const leaf = await identity(secrets, 'nats-leaf', ids.siteId);
  const controllers = await Promise.all(
    (ids.controllers ?? []).map((c) => identity(secrets, `nats-controller-${c}`, `controller-${c}`)),
  );
  const hub = await startNatsServer({
    storeDir: join(work, 'nats-hub'),
    port: await freePort(4222),
    name: 'zebra-hub',
    domain: HUB_DOMAIN,
    leafListenPort: await freePort(7422),
    leafUsers: [{ user: leaf.user, password: leaf.password }],
    users: [asUser(hubSetup), asUser(core, corePermissions(ids.ingestDurable))],
    tls,
    logFile: join(work, 'logs', 'nats-hub.log'),
  });
  const site = await startNatsServer({
    storeDir: join(work, 'nats-site'),
    port: await freePort(4223),
    name: `zebra-${ids.siteId}`,
    domain: ids.siteId,
    leafRemoteUrl: `nats://127.0.0.1:${hub.leafPort}`,
    leafCredentials: { user: leaf.user, password: leaf.password },
    users: [
      asUser(siteSetup),
      asUser(device, siteDevicePermissions(ids.siteId, ids.deviceId)),
      ...controllers.map((c, i) => asUser(c, controllerPermissions(ids.siteId, ids.controllers![i]!))),
    ],
    tls,
    logFile: join(work, 'logs', 'nats-site.log'),
  }).catch(async (err: unknown) => {
    await hub.stop();
    throw err;
  });
  return {
    hub,
    site,
    tls,
    hubSetup,
    siteSetup,
    core,
    device,
    controllers,
    async stop() {
      await site.stop();
      await hub.stop();
    },
  };
}
