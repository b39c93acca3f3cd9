import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../cli/main.js';
import { otherDeviceKey } from '../harness/events.js';
import { testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import { tempDir } from '../harness/temp.js';

/** Runs the CLI in-process: exit code, stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('the admin commands: devices, users, tokens', () => {
  it('lists devices and users (tables and JSON), refuses a site the core does not know, revokes a token, re-keys a device with the rotation in the audit log', async () => {
    await using stack = await startTestStack({ transport: { sites: ['site-1', 'site-2'] } });
    await using work = await tempDir();
    const adminFile = join(work.path, 'admin.token');
    await writeFile(adminFile, stack.core.adminToken, { mode: 0o600 });
    const api = ['--server', stack.core.core.grpcAddress, '--ca', (await testPki()).caFile, '--token-file', adminFile];
    const pem = join(work.path, 'dev.pem');
    await writeFile(pem, otherDeviceKey().publicKey.export({ type: 'spki', format: 'pem' }).toString());

    const unknown = await cli(['devices', 'register', 'dev-9', '--site', 'site-typo', '--public-key', pem, ...api]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/site_id "site-typo" is not a site this core knows \(site-1, site-2\)/);
    const known = await cli(['devices', 'register', 'dev-2', '--site', 'site-2', '--public-key', pem, ...api]);
    expect(known.code, known.err).toBe(0);

    const table = await cli(['devices', 'list', ...api]);
    expect(table.code, table.err).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^DEVICE\s+SITE\s+KEY\s+REGISTERED \(UTC\)\s+BY\s+STATE$/);
    expect(table.out).toMatch(/^dev-1\s+site-1\s/m);
    expect(table.out).toMatch(/^dev-2\s+site-2\s/m);
    expect(table.out).not.toMatch(/dev-9/);
    const json = JSON.parse((await cli(['devices', 'list', '--json', ...api])).out) as {
      devices: { deviceId: string }[];
    };
    expect(json.devices.map((d) => d.deviceId).sort()).toEqual(['dev-1', 'dev-2']);

    const added = await cli(['users', 'add', 'rita', '--role', 'reviewer', '--name', 'Rita R', ...api]);
    expect(added.code, added.err).toBe(0);
    const users = await cli(['users', 'list', ...api]);
    expect(users.out).toMatch(/^rita\s+Rita R\s+reviewer\s+\S+ \S+\s+active$/m);
    const usersJson = JSON.parse((await cli(['users', 'list', '--json', ...api])).out) as {
      users: { userId: string }[];
    };
    expect(usersJson.users.map((u) => u.userId)).toContain('rita');

    // The admin's own new token, then revoked: it stops working at once.
    const second = join(work.path, 'second.token');
    const issued = await cli(['tokens', 'issue', '--days', '1', '-o', second, ...api]);
    expect(issued.code, issued.err).toBe(0);
    const tokenId = /token (\S+) for/.exec(issued.err)![1]!;
    const withSecond = [...api.slice(0, -1), second];
    expect((await cli(['users', 'list', ...withSecond])).code).toBe(0);
    const revoked = await cli(['tokens', 'revoke', tokenId, ...api]);
    expect(revoked.code, revoked.err).toBe(0);
    const after = await cli(['users', 'list', ...withSecond]);
    expect(after.code).toBe(1);
    expect(after.err).toMatch(/token|unauthenticated|revoked/i);

    // Device key rotation: a new key on the device, registered; the audit log shows both keys.
    const edgeConfig = join(work.path, 'edge.yaml');
    await writeFile(
      edgeConfig,
      stringify({
        deviceId: 'dev-3',
        siteId: 'site-2',
        stateDir: 'state',
        nats: { servers: ['tls://127.0.0.1:1'] },
        cameras: [
          {
            id: 'cam-1',
            source: { input: 'sample:vtest-video' },
            zone: {
              id: 'z',
              version: 1,
              polygon: [
                [0.1, 0.1],
                [0.9, 0.1],
                [0.9, 0.9],
              ],
            },
            signal: { schedule: resolve(import.meta.dirname, '../../edge/demo/signal-schedule.yaml') },
          },
        ],
      }),
    );
    const keys: string[] = [];
    for (const command of ['public-key', 'rotate-key']) {
      const printed = await cli(['edge', command, '--config', edgeConfig]);
      expect(printed.code, printed.err).toBe(0);
      await writeFile(join(work.path, `${command}.pem`), printed.out);
      const registered = await cli([
        'devices',
        'register',
        'dev-3',
        '--site',
        'site-2',
        '--public-key',
        join(work.path, `${command}.pem`),
        ...api,
      ]);
      expect(registered.code, registered.err).toBe(0);
      keys.push(/with key (\S+)/.exec(registered.out)![1]!);
    }
    expect(keys[0]).not.toBe(keys[1]);
    const devices = await cli(['devices', 'list', ...api]);
    expect(devices.out).toMatch(new RegExp(`^dev-3\\s+site-2\\s+${keys[1]}\\s`, 'm'));
    const auditor = await stack.core.person('ada', ['auditor']);
    const lines: string[] = [];
    for await (const chunk of auditor.stream<{ lines: Buffer }>('/zebra.v1.AuditService/ExportLog', {}))
      lines.push(chunk.lines.toString('utf8'));
    const rekeys = lines
      .join('')
      .split('\n')
      .filter((l) => l.includes('device.registered') && l.includes('device:dev-3'));
    expect(rekeys).toHaveLength(2);
    expect(rekeys[0]).toContain(keys[0]);
    expect(rekeys[1]).toContain(keys[1]);
  }, 120_000);
});
