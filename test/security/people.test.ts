import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../../cli/api-client.js';
import { main } from '../../cli/main.js';
import { redeemEnrolment } from '../../core/auth/enrolment.js';
import { mintToken } from '../../core/auth/tokens.js';
import { insertToken } from '../../core/auth/users-repo.js';
import { approve, confirmAndLink, ingestEvents, REVIEW_OVERRIDES } from '../harness/review.js';
import { testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { tempDir } from '../harness/temp.js';

const DAY_MS = 86_400_000;

interface Created {
  user: { userId: string };
  enrolmentCode: string;
  enrolmentExpiresAtMs: number;
}

interface AuditRow {
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
}

/** Attacks by one admin on the two-person rule (issue 13, item 6). */
describe('one admin cannot be two people', () => {
  let stack: TestStack;
  let admin: ApiClient;
  let anonymous: ApiClient;
  const opened: ApiClient[] = [];

  beforeAll(async () => {
    stack = await startTestStack(REVIEW_OVERRIDES);
    admin = new ApiClient(stack.core.core.grpcAddress, stack.core.adminToken, stack.core.tls);
    anonymous = new ApiClient(stack.core.core.grpcAddress, undefined, stack.core.tls);
  });

  afterAll(async () => {
    for (const c of [admin, anonymous, ...opened]) c?.close();
    await stack?.[Symbol.asyncDispose]();
  });

  const create = (userId: string, roles: string[], by = admin): Promise<Created> =>
    by.call<Created>('/zebra.v1.AdminService/CreateUser', { userId, displayName: userId, roles });

  async function enrol(code: string): Promise<ApiClient> {
    const { token } = await anonymous.call<{ token: string }>('/zebra.v1.EnrolmentService/Enrol', { code });
    const client = new ApiClient(stack.core.core.grpcAddress, token, stack.core.tls);
    opened.push(client);
    return client;
  }

  async function audit(action: string): Promise<AuditRow[]> {
    const { rows } = await stack.core.core.db.query<{ canonical: Uint8Array }>(
      'SELECT canonical FROM audit_log WHERE action = $1 ORDER BY seq',
      [action],
    );
    return rows.map((r) => JSON.parse(Buffer.from(r.canonical).toString('utf8')) as AuditRow);
  }

  it('refuses an admin a token for anyone but itself', async () => {
    await create('sup-a', ['ROLE_SUPERVISOR']);
    await expect(
      admin.call('/zebra.v1.AdminService/IssueToken', { userId: 'sup-a', label: 'mine now' }),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    // Its own token it may still renew.
    const own = await admin.call<{ token: string }>('/zebra.v1.AdminService/IssueToken', { userId: 'admin' });
    expect(own.token).toMatch(/^zbt\./);
  });

  it('gives an admin no way to act as a supervisor', async () => {
    await expect(
      admin.call('/zebra.v1.ReviewService/ApproveEvent', { eventId: crypto.randomUUID(), expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const { rows } = await stack.core.core.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM api_tokens WHERE user_id = 'sup-a'",
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('lets a person enrol once with their code, and never again', async () => {
    const created = await create('rev-a', ['ROLE_REVIEWER']);
    expect(created.enrolmentCode).toMatch(/\S{12,}/);
    expect(created.enrolmentExpiresAtMs).toBeGreaterThan(Date.now());
    const rev = await enrol(created.enrolmentCode);
    await expect(rev.call('/zebra.v1.AdminService/WhoAmI')).resolves.toMatchObject({ user: { userId: 'rev-a' } });
    await expect(enrol(created.enrolmentCode)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    await expect(enrol('AAAA-BBBB-CCCC-DDDD')).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    // The code is kept only as a hash.
    const { rows } = await stack.core.core.db.query<{ text: string }>(
      'SELECT row_to_json(c)::text AS text FROM enrolment_codes c',
    );
    const normalised = created.enrolmentCode.replace(/[^A-Za-z0-9]/g, '');
    expect(rows.map((r) => r.text).join('\n')).not.toContain(normalised);
  });

  it('refuses an expired enrolment code', async () => {
    const created = await create('rev-late', ['ROLE_REVIEWER']);
    const db = stack.core.core.db;
    await expect(
      db.transaction((tx) => redeemEnrolment(tx, created.enrolmentCode, created.enrolmentExpiresAtMs + 1)),
    ).rejects.toMatchObject({ code: 'CORE_UNAUTHENTICATED' });
    // Still unused, so it works before expiry.
    await expect(
      db.transaction((tx) => redeemEnrolment(tx, created.enrolmentCode, created.enrolmentExpiresAtMs - 1)),
    ).resolves.toMatchObject({ userId: 'rev-late' });
  });

  it('makes a reset revoke the old tokens and hand out a new single-use code', async () => {
    const created = await create('rev-reset', ['ROLE_REVIEWER']);
    const before = await enrol(created.enrolmentCode);
    const reset = await admin.call<{ enrolmentCode: string }>('/zebra.v1.AdminService/ResetEnrolment', {
      userId: 'rev-reset',
    });
    await expect(before.call('/zebra.v1.AdminService/WhoAmI')).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    const after = await enrol(reset.enrolmentCode);
    await expect(after.call('/zebra.v1.AdminService/WhoAmI')).resolves.toMatchObject({
      user: { userId: 'rev-reset' },
    });
    expect((await audit('user.enrolment_reset')).map((e) => e.subject)).toContain('user:rev-reset');
  });

  it('refuses an admin who also reviews, and a legacy one gets no review rights', async () => {
    for (const roles of [
      ['ROLE_ADMIN', 'ROLE_REVIEWER'],
      ['ROLE_ADMIN', 'ROLE_SUPERVISOR'],
    ]) {
      await expect(create('both', roles)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
    // A row written before this rule: admin and supervisor at once.
    const db = stack.core.core.db;
    await db.query(
      "INSERT INTO users (user_id, display_name, roles, created_at) VALUES ('legacy', 'Legacy', ARRAY['admin','supervisor'], now())",
    );
    const minted = mintToken();
    await insertToken(
      db,
      {
        tokenId: minted.tokenId,
        userId: 'legacy',
        secretSha256: minted.secretSha256,
        label: 't',
        expiresAtMs: Date.now() + DAY_MS,
      },
      Date.now(),
    );
    const legacy = new ApiClient(stack.core.core.grpcAddress, minted.token, stack.core.tls);
    opened.push(legacy);
    await expect(legacy.call('/zebra.v1.ReviewService/ListQueue', {})).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
  });

  it('takes a person from `zebra users add` to `zebra users enrol` on the command line', async () => {
    await using dir = await tempDir();
    const adminFile = join(dir.path, 'admin-token');
    await writeFile(adminFile, `${stack.core.adminToken}\n`);
    const server = ['--server', stack.core.core.grpcAddress, '--ca', (await testPki()).caFile];
    const cli = async (args: string[]): Promise<{ code: number; out: string }> => {
      let out = '';
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        out += String(chunk);
        return true;
      });
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        return { code: await main(args), out };
      } finally {
        stdout.mockRestore();
        stderr.mockRestore();
      }
    };
    const added = await cli(['users', 'add', 'cli-rev', '--role', 'reviewer', ...server, '--token-file', adminFile]);
    expect(added.code).toBe(0);
    const code = added.out.trim();
    expect(code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    const tokenFile = join(dir.path, 'cli-rev.token');
    expect((await cli(['users', 'enrol', '--code', code, '-o', tokenFile, ...server])).code).toBe(0);
    const person = new ApiClient(
      stack.core.core.grpcAddress,
      (await readFile(tokenFile, 'utf8')).trim(),
      stack.core.tls,
    );
    opened.push(person);
    await expect(person.call('/zebra.v1.AdminService/WhoAmI')).resolves.toMatchObject({ user: { userId: 'cli-rev' } });
    // The admin cannot take a token for them on the command line either.
    expect((await cli(['tokens', 'issue', 'cli-rev', ...server, '--token-file', adminFile])).code).toBe(1);
  });

  it('flags a deduction whose two deciders one admin created, and not one made by two admins', async () => {
    const [flaggedEvent, cleanEvent] = await ingestEvents(stack, 2);
    // One admin creates both deciders: the deduction stands but is flagged for audit.
    const rita = await enrol((await create('rita-x', ['ROLE_REVIEWER'])).enrolmentCode);
    const sam = await enrol((await create('sam-x', ['ROLE_SUPERVISOR'])).enrolmentCode);
    await approve(sam, flaggedEvent!.eventId, await confirmAndLink(rita, flaggedEvent!.eventId, 'DL-FLAG'));
    // A second admin creates the supervisor of the other event.
    const other = await enrol((await create('admin-2', ['ROLE_ADMIN'])).enrolmentCode);
    const sue = await enrol((await create('sue-x', ['ROLE_SUPERVISOR'], other)).enrolmentCode);
    await approve(sue, cleanEvent!.eventId, await confirmAndLink(rita, cleanEvent!.eventId, 'DL-CLEAN'));

    const auditor = await enrol((await create('aud-x', ['ROLE_AUDITOR'])).enrolmentCode);
    const balance = (subjectRef: string) =>
      auditor.call<{ entries: { eventId: string; kind: string; auditFlag: string }[] }>(
        '/zebra.v1.LedgerService/GetBalance',
        { subjectRef },
      );
    expect((await balance('DL-FLAG')).entries).toEqual([
      expect.objectContaining({ eventId: flaggedEvent!.eventId, kind: 'deduction', auditFlag: 'same_admin:admin' }),
    ]);
    expect((await balance('DL-CLEAN')).entries).toEqual([
      expect.objectContaining({ eventId: cleanEvent!.eventId, kind: 'deduction', auditFlag: '' }),
    ]);
    const flags = await audit('ledger.flagged');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({
      subject: flaggedEvent!.eventId,
      details: { flag: 'same_admin', admin: 'admin', deciders: ['rita-x', 'sam-x'] },
    });
  });
});
