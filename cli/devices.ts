import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { loadEdgeConfig, loadOrCreateDeviceKey } from '../edge/index.js';
import { ApiClient } from './api-client.js';
import { TLS_OPTIONS, resolveClientTls } from './client-tls.js';
import type { ClientTls } from './client-tls.js';
import { resolveToken } from './events.js';

/** `zebra edge public-key --config FILE`: the device's public key (created on first use), to register it. */
export async function edgePublicKey(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('usage: zebra edge public-key --config FILE');
  const config = await loadEdgeConfig(values.config, process.env);
  const key = await loadOrCreateDeviceKey(join(config.stateDir, 'device-key.pem'));
  process.stdout.write(key.publicKeyPem);
  process.stderr.write(
    `device ${config.deviceId} at site ${config.siteId}, key ${key.keyId}. Register it:\n` +
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
    const { device: registered } = await client.call<{ device: { keyId: string } }>(
      '/zebra.v1.AdminService/RegisterDevice',
      device,
    );
    return registered.keyId;
  } finally {
    client.close();
  }
}

/** `zebra devices register DEVICE --site SITE --public-key PEM`, as an admin. */
export async function devicesRegister(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      site: { type: 'string' },
      'public-key': { type: 'string' },
      server: { type: 'string' },
      'token-file': { type: 'string' },
      ...TLS_OPTIONS,
    },
  });
  const deviceId = positionals[0];
  if (!deviceId || !values.site || !values['public-key'])
    throw new Error('usage: zebra devices register DEVICE --site SITE --public-key PEM');
  const publicKeyPem = await readFile(values['public-key'], 'utf8').catch((err: unknown) => {
    throw new Error(
      `cannot read --public-key ${values['public-key']}: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  const keyId = await registerDevice(
    values.server ?? process.env.ZEBRA_GRPC_ADDR ?? '127.0.0.1:50051',
    await resolveToken(values['token-file'], process.env),
    await resolveClientTls(values, process.env),
    { deviceId, siteId: values.site, publicKeyPem },
  );
  process.stdout.write(`device ${deviceId} registered at site ${values.site} with key ${keyId}\n`);
  return 0;
}
