import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Client, Metadata, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/api-client.js';
import { countEvents } from '../../core/index.js';
import { InfractionEvent } from '../../proto/index.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { testHttps } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { waitFor } from '../harness/temp.js';

/** Hostile values at the two doors: the event stream and the API (issue 13, item 7). */
describe('bounds on everything that enters', () => {
  let stack: TestStack;
  let admin: ApiClient;
  let reviewer: ApiClient;
  let reviewerToken: string;

  beforeAll(async () => {
    stack = await startTestStack();
    admin = new ApiClient(stack.core.core.grpcAddress, stack.core.adminToken, stack.core.tls);
    reviewer = await stack.core.person('rev-b', ['reviewer']);
    reviewerToken = reviewer.token!;
  });

  afterAll(async () => {
    admin?.close();
    await stack?.[Symbol.asyncDispose]();
  });

  const post = (name: string, body: unknown, token: string) =>
    testHttps(`https://${stack.core.core.httpAddress}/api/v1/zebra.v1.${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });

  it('quarantines a signed event from far in the future, with the reason', async () => {
    const before = await countEvents(stack.core.core.db);
    const event = makeEvent(testDeviceKey().privateKey, { occurredAtMs: 8.7e15, cameraSeq: 1 });
    await jetstream(stack.nc).publish(subjectOf(event), InfractionEvent.encode(event).finish(), {
      msgID: event.eventId,
    });
    const row = await waitFor('the event quarantined', async () => {
      const { rows } = await stack.core.core.db.query<{ reason_code: string; reason: string }>(
        'SELECT reason_code, reason FROM quarantine ORDER BY stream_seq DESC LIMIT 1',
      );
      return rows[0];
    });
    expect(row.reason_code).toBe('out_of_bounds');
    expect(row.reason).toMatch(/occurred_at_ms.*future/);
    expect(await countEvents(stack.core.core.db)).toBe(before);
    // The queue still loads.
    await expect(reviewer.call('/zebra.v1.ReviewService/ListQueue', {})).resolves.toBeDefined();
  });

  it('refuses a 3.5 MB display name', async () => {
    await expect(
      admin.call('/zebra.v1.AdminService/CreateUser', {
        userId: 'huge',
        displayName: 'x'.repeat(3.5 * 1024 * 1024),
        roles: ['ROLE_AUDITOR'],
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    const { rows } = await stack.core.core.db.query("SELECT 1 FROM users WHERE user_id = 'huge'");
    expect(rows).toHaveLength(0);
  });

  it('answers NUL bytes with INVALID_ARGUMENT', async () => {
    await expect(
      admin.call('/zebra.v1.AdminService/CreateUser', {
        userId: 'nul',
        displayName: 'a\u0000b',
        roles: ['ROLE_AUDITOR'],
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      reviewer.call('/zebra.v1.ReviewService/OpenEvidence', {
        eventId: crypto.randomUUID(),
        purpose: 'look\u0000',
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(reviewer.call('/zebra.v1.EventService/ListEvents', { cameraId: 'cam\u0000' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it('answers out-of-range numbers with INVALID_ARGUMENT, over gRPC and JSON', async () => {
    await expect(
      admin.call('/zebra.v1.AdminService/IssueToken', { userId: 'admin', ttlMs: 9e15 }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    for (const [name, body] of [
      ['ReviewService/ListQueue', { pageSize: -1 }],
      ['EventService/ListEvents', { pageSize: -5 }],
      ['ReviewService/ListQueue', { minConfidence: 'NaN' }],
      ['ReviewService/ListQueue', { sinceMs: 1e300 }],
    ] as const) {
      const res = await post(name, body, reviewerToken);
      expect(res.status, `${name} ${JSON.stringify(body)}`).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'CORE_INVALID_ARGUMENT' });
    }
    const res = await post('AdminService/IssueToken', { userId: 'admin', ttlMs: 1e300 }, stack.core.adminToken);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'CORE_INVALID_ARGUMENT' });
  });

  it('answers an int64 beyond 2^53 on the wire with INVALID_ARGUMENT, not INTERNAL', async () => {
    // IssueTokenRequest { ttl_ms (field 2) = 2^62 }, encoded by hand: no client library sends it.
    const bytes = Buffer.from(new BinaryWriter().uint32(16).int64('4611686018427387904').finish());
    const tls = stack.core.tls;
    const client = new Client(
      stack.core.core.grpcAddress,
      credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null),
    );
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${stack.core.adminToken}`);
    try {
      const err = await new Promise<ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          '/zebra.v1.AdminService/IssueToken',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          { deadline: new Date(Date.now() + 10_000) },
          (e: ServiceError | null) => resolve(e),
        ),
      );
      expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
    } finally {
      client.close();
    }
  });

  it('audits 1000 unauthenticated calls from one source as a bounded number of entries', async () => {
    const db = stack.core.core.db;
    const count = async () =>
      Number(
        (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.denied'"))
          .rows[0]!.n,
      );
    const before = await count();
    const anonymous = new ApiClient(stack.core.core.grpcAddress, undefined, stack.core.tls);
    try {
      for (let i = 0; i < 10; i++) {
        await Promise.all(
          Array.from({ length: 100 }, () =>
            expect(anonymous.call('/zebra.v1.EventService/ListEvents', {})).rejects.toMatchObject({
              code: status.UNAUTHENTICATED,
            }),
          ),
        );
      }
    } finally {
      anonymous.close();
    }
    await stack.core.core.api.denials.flush();
    const { rows } = await db.query<{ canonical: Uint8Array }>(
      "SELECT canonical FROM audit_log WHERE action = 'auth.denied' ORDER BY seq",
    );
    const added = rows
      .slice(before)
      .map((r) => JSON.parse(Buffer.from(r.canonical).toString('utf8')) as { details: { count: number } });
    // One source; the calls may straddle a minute boundary.
    expect(added.length).toBeGreaterThan(0);
    expect(added.length).toBeLessThanOrEqual(4);
    expect(added.reduce((n, e) => n + e.details.count, 0)).toBe(1000);
    expect(await count()).toBe(before + added.length);
  });
});
