import { join } from 'node:path';
import { readFile, rename } from 'node:fs/promises';
import { loadEdgeConfig, loadOrCreateDeviceKey } from '../edge/index.js';
import { AdminServiceService, RegisterDeviceRequest } from '../proto/index.js';
import { ApiClient } from './api-client.js';
import type { ClientTls } from './client-tls.js';
import { withApi } from './command-kit.js';
import type { ApiOpts } from './command-kit.js';

/** `zebra edge public-key --config FILE`: the device's public key (created on first use), to register it. */
export async function edgePublicKey(values: { config: string }): Promise<number> {
  const config = await loadEdgeConfig(values.config, process.env);
  const key = await loadOrCreateDeviceKey(join(config.stateDir, 'device-key.pem'));
  process.stdout.write(key.publicKeyPem);
  process.stderr.write(
    `device ${config.deviceId} at site ${config.siteId}, key ${key.keyId}. Register it:\n` +
      `  zebra devices register ${config.deviceId} --site ${config.siteId} --public-key FILE\n`,
  );
  return 0;
}

/**
 * `zebra edge rotate-key --config FILE`: retires the device key (kept beside it as
 * device-key.retired-<keyId>.pem) and makes a new one; registering the new key
 * (`zebra devices register`) re-keys the device at the core, which records it in the audit log.
 * Run it with the edge stopped and its outbox drained: events signed with the old key and
 * not yet ingested are quarantined once the new key is registered.
 */
export async function edgeRotateKey(values: { config: string }): Promise<number> {
  const config = await loadEdgeConfig(values.config, process.env);
  const path = join(config.stateDir, 'device-key.pem');
  const old = await loadOrCreateDeviceKey(path);
  const retired = join(config.stateDir, `device-key.retired-${old.keyId}.pem`);
  await rename(path, retired);
  const key = await loadOrCreateDeviceKey(path);
  process.stdout.write(key.publicKeyPem);
  process.stderr.write(
    `device ${config.deviceId}: key ${old.keyId} retired (${retired}), new key ${key.keyId}. Register it:\n` +
      `  zebra devices register ${config.deviceId} --site ${config.siteId} --public-key FILE\n`,
  );
  return 0;
}

/** Registers a device through the admin API; returns the key id the core recorded. */
export async function registerDevice(
  server: string,
  adminToken: string,
  tls: ClientTls,
  device: { deviceId: string; siteId: string; publicKeyPem: string },
): Promise<string> {
  const client = new ApiClient(server, adminToken, tls);
  try {
    const { device: registered } = await client.unary(
      AdminServiceService.registerDevice,
      RegisterDeviceRequest.fromPartial(device),
    );
    return registered?.keyId ?? '';
  } finally {
    client.close();
  }
}

export interface DevicesRegisterOpts extends ApiOpts {
  readonly site: string;
  readonly publicKey: string;
}

/** `zebra devices register DEVICE --site SITE --public-key PEM`, as an admin. */
export async function devicesRegister(values: DevicesRegisterOpts, [deviceId]: string[]): Promise<number> {
  const publicKeyPem = await readFile(values.publicKey, 'utf8').catch((err: unknown) => {
    throw new Error(
      `cannot read --public-key ${values.publicKey}: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  const registered = await withApi(values, (client) =>
    client.unary(
      AdminServiceService.registerDevice,
      RegisterDeviceRequest.fromPartial({ deviceId, siteId: values.site, publicKeyPem }),
    ),
  );
  const keyId = registered.device?.keyId ?? '';
  process.stdout.write(`device ${deviceId} registered at site ${values.site} with key ${keyId}\n`);
  return 0;
}
