import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { InfractionEvent } from '../../proto/index.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { tempDir, waitFor } from '../harness/temp.js';

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

/** The CLI's connection options with this token. */
async function apiArgs(stack: TestStack, dir: string, name: string, token: string): Promise<string[]> {
  const file = join(dir, `${name}.token`);
  await writeFile(file, token, { mode: 0o600 });
  return ['--server', stack.core.core.grpcAddress, '--ca', (await testPki()).caFile, '--token-file', file];
}

/** A new user with a token of their own, through `users add` and the enrolment code. */
async function newUser(stack: TestStack, dir: string, admin: string[], userId: string, role: string) {
  const added = await cli(['users', 'add', userId, '--role', role, ...admin]);
  expect(added.code, added.err).toBe(0);
  return apiArgs(stack, dir, userId, await stack.core.enrol(added.out.trim()));
}

async function auditActions(stack: TestStack, action: string): Promise<{ actor: string; subject: string }[]> {
  const { rows } = await stack.core.core.db.query<{ canonical: Uint8Array }>(
    'SELECT canonical FROM audit_log WHERE action = $1 ORDER BY seq',
    [action],
  );
  return rows.map((r) => JSON.parse(Buffer.from(r.canonical).toString('utf8')) as { actor: string; subject: string });
}

describe('tokens list, users disable, devices revoke: end to end over gRPC', () => {
  it('lists tokens without secrets (own for anyone, any user for an admin) and disables a user at once', async () => {
    await using stack = await startTestStack();
    await using work = await tempDir();
    const admin = await apiArgs(stack, work.path, 'admin', stack.core.adminToken);
    const rita = await newUser(stack, work.path, admin, 'rita', 'reviewer');
    await newUser(stack, work.path, admin, 'sam', 'auditor');

    const own = await cli(['tokens', 'list', ...rita]);
    expect(own.code, own.err).toBe(0);
    expect(own.out.split('\n')[0]).toMatch(/^TOKEN\s+USER\s+LABEL\s+CREATED \(UTC\)\s+EXPIRES \(UTC\)\s+STATE$/);
    expect(own.out).toMatch(/^\S+\s+rita\s+.*\sactive$/m);
    const secret = (await readFile(rita.at(-1)!, 'utf8')).trim().split('.').at(-1)!;
    expect(own.out).not.toContain(secret);
    const ownJson = await cli(['tokens', 'list', '--json', ...rita]);
    expect(ownJson.out).not.toContain(secret);
    const listed = JSON.parse(ownJson.out) as { tokens: Record<string, unknown>[] };
    expect(listed.tokens).toHaveLength(1);
    expect(Object.keys(listed.tokens[0]!).sort()).toEqual(
      ['createdAtMs', 'expiresAtMs', 'label', 'tokenId', 'userId'].sort(),
    );

    // A reviewer may not list another user's tokens; an admin may.
    const refused = await cli(['tokens', 'list', '--user', 'sam', ...rita]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/only an admin lists another user's tokens/);
    const bySam = JSON.parse((await cli(['tokens', 'list', '--user', 'sam', '--json', ...admin])).out) as {
      tokens: { userId: string }[];
    };
    expect(bySam.tokens.map((t) => t.userId)).toEqual(['sam']);
    expect((await cli(['tokens', 'list', '--user', 'nobody', ...admin])).err).toMatch(/no user nobody/);

    // Disabling: refused to a non-admin and to an admin for themselves; then rita's token stops at once.
    const notAdmin = await cli(['users', 'disable', 'sam', ...rita]);
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.err).toMatch(/permission|not allowed|role/i);
    const self = await cli(['users', 'disable', 'admin', ...admin]);
    expect(self.code).toBe(1);
    expect(self.err).toMatch(/may not disable themselves/);
    expect((await cli(['tokens', 'list', ...rita])).code).toBe(0);
    const disabled = await cli(['users', 'disable', 'rita', ...admin]);
    expect(disabled.code, disabled.err).toBe(0);
    expect(disabled.out).toMatch(/user rita disabled; 1 token revoked/);
    const after = await cli(['tokens', 'list', ...rita]);
    expect(after.code).toBe(1);
    expect(after.err).toMatch(/revoked|disabled/);
    expect((await cli(['users', 'list', ...admin])).out).toMatch(/^rita\s.*\sdisabled$/m);
    expect((await cli(['tokens', 'list', '--user', 'rita', ...admin])).out).toMatch(/^\S+\s+rita\s+.*\srevoked /m);
    expect(await auditActions(stack, 'user.disabled')).toMatchObject([{ actor: 'admin', subject: 'user:rita' }]);
  }, 120_000);

  it('revokes a device: what it signs from then on is quarantined as revoked_device; audited', async () => {
    await using stack = await startTestStack();
    await using work = await tempDir();
    const admin = await apiArgs(stack, work.path, 'admin', stack.core.adminToken);
    const auditor = await newUser(stack, work.path, admin, 'ada', 'auditor');
    const publish = async (cameraSeq: number): Promise<{ seq: number; event: InfractionEvent }> => {
      const event = makeEvent(testDeviceKey().privateKey, { cameraSeq });
      const ack = await jetstream(stack.nc).publish(subjectOf(event), InfractionEvent.encode(event).finish());
      return { seq: ack.seq, event };
    };
    const stored = async (eventId: string) =>
      (await stack.core.core.db.query('SELECT 1 FROM events WHERE event_id = $1', [eventId])).rows.length > 0;

    // Before: an event of dev-1 is stored (the device key is now in ingest's cache).
    const before = await publish(1);
    await waitFor('stored', async () => ((await stored(before.event.eventId)) ? true : undefined));

    const refused = await cli(['devices', 'revoke', 'dev-1', ...auditor]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/permission|not allowed|role/i);
    expect((await cli(['devices', 'revoke', 'dev-404', ...admin])).err).toMatch(/no device dev-404/);
    const revoked = await cli(['devices', 'revoke', 'dev-1', ...admin]);
    expect(revoked.code, revoked.err).toBe(0);
    expect(revoked.out).toMatch(/device dev-1 revoked at \d{4}-/);

    const afterward = await publish(2);
    const row = await waitFor('quarantined', async () => {
      const { rows } = await stack.core.core.db.query<{ reason_code: string; reason: string }>(
        'SELECT reason_code, reason FROM quarantine WHERE stream_seq = $1',
        [afterward.seq],
      );
      return rows[0];
    });
    expect(row.reason_code).toBe('revoked_device');
    expect(row.reason).toMatch(/device dev-1 was revoked at/);
    expect(await stored(afterward.event.eventId)).toBe(false);

    expect((await cli(['devices', 'list', ...admin])).out).toMatch(/^dev-1\s+site-1\s.*\srevoked \S+ \S+$/m);
    const json = JSON.parse((await cli(['devices', 'list', '--json', ...admin])).out) as {
      devices: { deviceId: string; revokedAtMs?: string }[];
    };
    expect(Number(json.devices.find((d) => d.deviceId === 'dev-1')?.revokedAtMs)).toBeGreaterThan(0);
    expect(await auditActions(stack, 'device.revoked')).toMatchObject([{ actor: 'admin', subject: 'device:dev-1' }]);
  }, 120_000);
});
