import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
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
  it('lists devices and users as tables and JSON, refuses a site the core does not know, revokes a token', async () => {
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
    expect(table.out.split('\n')[0]).toMatch(/^DEVICE\s+SITE\s+KEY\s+REGISTERED \(UTC\)\s+BY$/);
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
  }, 120_000);
});
