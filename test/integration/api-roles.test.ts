import { credentials, makeGenericClientConstructor, status } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, apiPaths } from '../../cli/api-client.js';
import { ROLE_NAMES } from '../../proto/index.js';
import type { RoleName } from '../../proto/index.js';
import { testHttps } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';

/**
 * Who may call what, written out here independently of the server's table: a change to either
 * that the other does not share fails this test.
 */
const ALLOWED: Record<string, readonly RoleName[]> = {
  'EventService/ListEvents': ['reviewer', 'supervisor', 'auditor'],
  'EventService/GetEvent': ['reviewer', 'supervisor', 'auditor'],
  'EventService/ListSequenceGaps': ['supervisor', 'auditor'],
  'EventService/FetchMissingEvents': ['supervisor'],
  'EventService/ListQuarantine': ['supervisor', 'auditor'],
  'EventService/GetQuarantined': ['supervisor', 'auditor'],
  'ReviewService/ListQueue': ['reviewer', 'supervisor'],
  'ReviewService/GetReviewItem': ['reviewer', 'supervisor'],
  'ReviewService/ClaimEvent': ['reviewer', 'supervisor'],
  'ReviewService/ReleaseEvent': ['reviewer', 'supervisor'],
  'ReviewService/OpenEvidence': ['reviewer', 'supervisor', 'auditor'],
  'ReviewService/DecideEvent': ['reviewer', 'supervisor'],
  'ReviewService/LinkReference': ['reviewer', 'supervisor'],
  'ReviewService/ApproveEvent': ['supervisor'],
  'ReviewService/SeedKnownAnswer': ['supervisor'],
  'ReviewService/GetAgreement': ['supervisor'],
  'ReviewService/ListReasons': ['reviewer', 'supervisor', 'auditor'],
  'LedgerService/GetBalance': ['supervisor', 'auditor'],
  'LedgerService/FileAppeal': ['admin'],
  'LedgerService/DecideAppeal': ['supervisor'],
  'AuditService/GetCheckpoint': ['auditor'],
  'AuditService/GetInclusionProof': ['auditor'],
  'AuditService/GetConsistencyProof': ['auditor'],
  'AuditService/ExportLog': ['auditor'],
  'AuditService/GetCustodyReport': ['auditor'],
  'AuditService/GetTransparencyReport': ['auditor', 'supervisor'],
  'AdminService/CreateUser': ['admin'],
  'AdminService/ListUsers': ['admin'],
  // For the caller's own account only (test/security/people.test.ts).
  'AdminService/IssueToken': ['reviewer', 'supervisor', 'auditor', 'admin'],
  'AdminService/ResetEnrolment': ['admin'],
  'AdminService/RevokeToken': ['admin'],
  // Another user's only for an admin (test/integration/cli-revocations.test.ts).
  'AdminService/ListTokens': ['reviewer', 'supervisor', 'auditor', 'admin'],
  'AdminService/DisableUser': ['admin'],
  'AdminService/WhoAmI': ['reviewer', 'supervisor', 'auditor', 'admin'],
  'AdminService/RegisterDevice': ['admin'],
  'AdminService/ListDevices': ['admin'],
  'AdminService/RevokeDevice': ['admin'],
};

/** Methods that take no token: the request carries its own credential (an enrolment code). */
const PUBLIC = ['EnrolmentService/Enrol'];

const ROLES = ROLE_NAMES;
const path = (name: string): string => `/zebra.v1.${name}`;

/** Server-streaming methods: called by reading the stream to its end. */
const STREAMING = new Set(['AuditService/ExportLog']);

/** Calls any method with an empty request; resolves when it has answered in full. */
async function callAny(client: ApiClient, name: string): Promise<unknown> {
  if (!STREAMING.has(name)) return client.call(path(name), {});
  for await (const _ of client.stream(path(name), {})) void _;
  return undefined;
}

interface DenialEntry {
  actor: string;
  subject: string;
  details: { code: string; via: string; count?: number };
}

describe('every RPC refuses the roles that must not call it, and audits each refusal', () => {
  let stack: TestStack;
  const clients = new Map<RoleName, ApiClient>();
  let anonymous: ApiClient;
  let forged: ApiClient;

  beforeAll(async () => {
    stack = await startTestStack();
    for (const role of ROLES) clients.set(role, await stack.core.person(`only-${role}`, [role]));
    anonymous = new ApiClient(stack.core.core.grpcAddress, undefined, stack.core.tls);
    forged = new ApiClient(stack.core.core.grpcAddress, `zbt.0123456789abcdef.${'A'.repeat(43)}`, stack.core.tls);
  });

  afterAll(async () => {
    anonymous?.close();
    forged?.close();
    await stack?.[Symbol.asyncDispose]();
  });

  async function denials(): Promise<DenialEntry[]> {
    const { rows } = await stack.core.core.db.query<{ canonical: Uint8Array }>(
      "SELECT canonical FROM audit_log WHERE action = 'auth.denied' ORDER BY seq",
    );
    return rows.map((r) => JSON.parse(Buffer.from(r.canonical).toString('utf8')) as DenialEntry);
  }

  it('knows every RPC the server serves', () => {
    expect(apiPaths().sort()).toEqual([...Object.keys(ALLOWED), ...PUBLIC].map(path).sort());
  });

  it('refuses the wrong roles with PERMISSION_DENIED and audits each refusal with the caller', async () => {
    const expected: string[] = [];
    for (const [name, allowed] of Object.entries(ALLOWED)) {
      for (const role of ROLES) {
        const call = callAny(clients.get(role)!, name);
        if (allowed.includes(role)) {
          // Allowed: it may fail on the empty request, but never as a refusal of authority.
          const code = await call.then(
            () => status.OK,
            (err: { code: status }) => err.code,
          );
          expect([status.UNAUTHENTICATED, status.PERMISSION_DENIED], `${role} → ${name}`).not.toContain(code);
        } else {
          await expect(call, `${role} → ${name}`).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
          expected.push(`only-${role} ${path(name)} CORE_PERMISSION_DENIED`);
        }
      }
    }
    const audited = (await denials()).map((d) => `${d.actor} ${d.subject} ${d.details.code}`);
    expect(audited.sort()).toEqual(expected.sort());
  });

  it('refuses calls without a valid token with UNAUTHENTICATED and audits them as anonymous', async () => {
    const before = (await denials()).length;
    for (const name of Object.keys(ALLOWED)) {
      await expect(callAny(anonymous, name)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await expect(callAny(forged, name)).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    }
    // The first from this source is audited at once; the rest of the minute as one count.
    expect((await denials()).slice(before)[0]).toMatchObject({ actor: 'anonymous', details: { count: 1 } });
    await stack.core.core.api.denials.flush();
    const added = (await denials()).slice(before);
    expect(added.length).toBeLessThanOrEqual(4);
    expect(added.reduce((n, d) => n + (d.details.count ?? 0), 0)).toBe(2 * Object.keys(ALLOWED).length);
    expect(added.every((d) => d.actor === 'anonymous' && d.details.code === 'CORE_UNAUTHENTICATED')).toBe(true);
  });

  it('serves enrolment without a token, refusing a bad code as UNAUTHENTICATED', async () => {
    await expect(anonymous.call(path('EnrolmentService/Enrol'), { code: 'AAAA-BBBB-CCCC-DDDD' })).rejects.toMatchObject(
      { code: status.UNAUTHENTICATED },
    );
  });

  it('refuses a revoked token at once', async () => {
    const admin = clients.get('admin')!;
    const { enrolmentCode } = await admin.call<{ enrolmentCode: string }>('/zebra.v1.AdminService/CreateUser', {
      userId: 'leaver',
      roles: ['ROLE_AUDITOR'],
    });
    const issued = await anonymous.call<{ token: string; tokenId: string }>(path('EnrolmentService/Enrol'), {
      code: enrolmentCode,
    });
    const leaver = new ApiClient(stack.core.core.grpcAddress, issued.token, stack.core.tls);
    try {
      await expect(leaver.call(path('AdminService/WhoAmI'))).resolves.toMatchObject({ user: { userId: 'leaver' } });
      await admin.call('/zebra.v1.AdminService/RevokeToken', { tokenId: issued.tokenId });
      await expect(leaver.call(path('AdminService/WhoAmI'))).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    } finally {
      leaver.close();
    }
  });

  it('refuses a call without a deadline, before looking at its token', async () => {
    await expect(
      clients.get('auditor')!.call(path('AdminService/WhoAmI'), {}, { deadlineMs: null }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/deadline/) });
  });

  it('refuses a request over the message size limit', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    await expect(
      clients.get('admin')!.call(path('AdminService/CreateUser'), { userId: 'big', displayName: huge }),
    ).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
  });

  it('serves the standard health service without a token', async () => {
    const Client = makeGenericClientConstructor(healthService, 'Health');
    const tls = stack.core.tls;
    const client = new Client(stack.core.core.grpcAddress, credentials.createSsl(tls.ca, tls.key, tls.cert));
    const check = (service: string) =>
      new Promise<unknown>((resolve, reject) =>
        (client as unknown as Record<string, (...a: unknown[]) => void>).check!(
          { service },
          { deadline: new Date(Date.now() + 5_000) },
          (err: Error | null, res: { status: unknown }) => (err ? reject(err) : resolve(res.status)),
        ),
      );
    try {
      expect(await check('')).toBe('SERVING');
      expect(await check('zebra.v1.ReviewService')).toBe('SERVING');
      await expect(check('no.such.Service')).rejects.toMatchObject({ code: status.NOT_FOUND });
    } finally {
      client.close();
    }
  });

  it('applies the same checks on the JSON gateway, and audits its refusals too', async () => {
    const http = `https://${stack.core.core.httpAddress}/api/v1`;
    const post = (name: string, token?: string) =>
      testHttps(`${http}${path(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: '{}',
      });
    const before = (await denials()).length;
    expect((await post('AuditService/GetCheckpoint')).status).toBe(401);
    const reviewerToken = await issue('only-reviewer');
    const denied = await post('AuditService/GetCheckpoint', reviewerToken);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'CORE_PERMISSION_DENIED' });
    const ok = await post('ReviewService/ListReasons', reviewerToken);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { reasons: unknown[] }).reasons.length).toBeGreaterThan(5);
    for (const body of ['null', '[1]', '"x"', '{not json']) {
      const bad = await testHttps(`${http}${path('ReviewService/ListReasons')}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${reviewerToken}` },
        body,
      });
      expect(bad.status, body).toBe(400);
    }
    const added = (await denials()).slice(before);
    expect(added.map((d) => [d.actor, d.details.via, d.details.code])).toEqual([
      ['anonymous', 'http', 'CORE_UNAUTHENTICATED'],
      ['only-reviewer', 'http', 'CORE_PERMISSION_DENIED'],
    ]);
  });

  async function issue(userId: string): Promise<string> {
    const own = clients.get(userId.replace(/^only-/, '') as RoleName)!;
    return (await own.call<{ token: string }>('/zebra.v1.AdminService/IssueToken', {})).token;
  }
});
