import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { DEPLOY_NATS_FILES, SITE_KIT_CONTROLLERS, controllerPasswordEnv } from '../../cli/nats-deploy.js';
import { freePort, readPortsFile, stopProcess } from '../../cli/nats-server.js';
import { testPki } from '../harness/pki.js';
import { natsEnvSecret } from '../harness/secrets.js';
import { tempDir, waitFor } from '../harness/temp.js';

const secret = natsEnvSecret;

describe('the site kit’s NATS config (deploy/site/nats-site.conf)', () => {
  it('boots with TLS; the device signs in, and each controller may publish its own signal subject only', async () => {
    await using dir = await tempDir('zebra-site-kit-');
    const pki = await testPki();
    // The hub's port: nothing listens there (the leaf link only retries).
    const closedHub = await freePort();
    // The container paths moved to this machine's temp folder and loopback; the hub is away.
    const conf = (await readFile(DEPLOY_NATS_FILES.siteKit, 'utf8'))
      .replaceAll('/etc/nats/tls/ca.pem', pki.caFile)
      .replaceAll('/etc/nats/tls/nats-site.pem', pki.certFile)
      .replaceAll('/etc/nats/tls/nats-site-key.pem', pki.keyFile)
      .replace('store_dir: "/data"', `store_dir: ${JSON.stringify(dir.path)}`)
      .replace('http: "127.0.0.1:8222"\n', '');
    await writeFile(join(dir.path, 'site.conf'), conf, { mode: 0o600 });
    const passwords = {
      device: secret(),
      ...Object.fromEntries(SITE_KIT_CONTROLLERS.map((id) => [id, secret()])),
    } as Record<string, string>;
    const hubUrl = `tls://compose-site:${secret()}@127.0.0.1:${closedHub}`;
    // The server picks its own client port (no race with other tests for a free one) and writes it down.
    const args = ['-c', join(dir.path, 'site.conf'), '-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir.path];
    const child = spawn('nats-server', [...args, '-l', join(dir.path, 'nats.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        ZEBRA_HUB_LEAF_URL_1: hubUrl,
        ZEBRA_HUB_LEAF_URL_2: hubUrl,
        ZEBRA_HUB_LEAF_URL_3: hubUrl,
        ZEBRA_NATS_SITE_SETUP_PASSWORD: secret(),
        ZEBRA_NATS_DEVICE_PASSWORD: passwords.device,
        ...Object.fromEntries(SITE_KIT_CONTROLLERS.map((id) => [controllerPasswordEnv(id), passwords[id]])),
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
    try {
      const log = (): Promise<string> => readFile(join(dir.path, 'nats.log'), 'utf8').catch(() => '');
      const client = await waitFor('the site leaf node listening', async () => {
        if (child.exitCode !== null)
          throw new Error(`nats-server exited (${child.exitCode}): ${stderr}${(await log()).slice(-1_000)}`);
        return readPortsFile(dir.path, child.pid!).catch(() => undefined);
      });
      const as = (user: string, pass: string) =>
        connect({ servers: `nats://127.0.0.1:${client}`, user, pass, tls: { caFile: pki.caFile } });
      let lastRefusal = '';
      const device = await waitFor('the site leaf node answering', () =>
        as('compose-device-1', passwords.device!).catch((err: unknown) => {
          lastRefusal = String(err);
          return undefined;
        }),
      ).catch(async (err: unknown) => {
        throw new Error(`${String(err)}; last refusal: ${lastRefusal}; log: ${(await log()).slice(-1_000)}`);
      });
      const [south, north] = SITE_KIT_CONTROLLERS;
      const controller = await as(south, passwords[south]!);
      try {
        const sub = device.subscribe('zebra.v1.signal.compose-site.*', { max: 1 });
        await device.flush();
        // ctl-south may not speak for ctl-north; the server drops it. Then its own subject goes through.
        controller.publish(`zebra.v1.signal.compose-site.${north}`, 'forged');
        controller.publish(`zebra.v1.signal.compose-site.${south}`, 'report');
        await controller.flush();
        const received: string[] = [];
        for await (const m of sub) received.push(`${m.subject} ${m.string()}`);
        expect(received).toEqual([`zebra.v1.signal.compose-site.${south} report`]);
        // A wrong password is refused: no anonymous or guessed access.
        await expect(as(north, 'wrong')).rejects.toThrow(/Authorization/i);
      } finally {
        await controller.close();
        await device.close();
      }
    } finally {
      await stopProcess(child);
    }
  }, 60_000);
});
