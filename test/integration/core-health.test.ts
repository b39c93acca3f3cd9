import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvent } from '../../core/index.js';
import { appendAudit } from '../../core/audit/audit-repo.js';
import { CHECKPOINT_LAG_SQL } from '../../core/audit/checkpoint-age.js';
import { checkpointNow } from '../../core/audit/signer.js';
import { QUEUE_AGE_SQL } from '../../core/review/queue-age.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import { testHttps, testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';

const HOUR_MS = 3_600_000;
const SLA_MS = 60_000;

describe('core health', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      // The timer would sign within the hour: the test signs when it wants to.
      audit: { checkpointIntervalMs: HOUR_MS },
      health: { checkIntervalMs: 200, checkpointSlackMs: 0, reviewQueueMaxAgeMs: SLA_MS },
    });
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const get = async (path: string) => testHttps(`https://${stack.core.core.httpAddress}${path}`);
  const health = async () => {
    const r = await get('/healthz');
    return { status: r.status, checks: (r.json() as { checks: Record<string, string> }).checks };
  };
  /** Polls /healthz until `until` holds (positive signal), at most 20 s. */
  const healthWhen = async (what: string, until: (h: Awaited<ReturnType<typeof health>>) => boolean) => {
    const deadline = Date.now() + 20_000;
    let last = await health();
    while (!until(last) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      last = await health();
    }
    expect(until(last), `${what}: ${JSON.stringify(last)}`).toBe(true);
    return last;
  };
  const metric = async (name: string): Promise<number> =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await get('/metrics')).text())?.[1]);

  it('turns red when an audit entry waits longer than the checkpoint interval plus slack, and green once signed', async () => {
    const db = stack.core.core.db;
    const signer = stack.core.core.api.signer;
    await checkpointNow(db, signer, Date.now(), { waitForSigner: true });
    await healthWhen('green to begin with', (h) => h.status === 200);
    // An entry that has waited two hours for a checkpoint: the signer has not signed for longer than its interval.
    await db.transaction((tx) =>
      appendAudit(tx, {
        atMs: Date.now() - 2 * HOUR_MS,
        actor: 'system:test',
        action: 'test.old',
        subject: 'x',
        details: {},
      }),
    );
    const red = await healthWhen('red', (h) => h.status === 503);
    expect(red.checks.checkpoint).toMatch(/^stale: 1 entries waited 72\d\d s for a checkpoint$/);
    expect(await metric('zebra_audit_checkpoint_stale')).toBe(1);
    expect(await metric('zebra_audit_uncovered_entry_age_seconds')).toBeGreaterThanOrEqual(7200);
    expect(await metric('zebra_core_healthy')).toBe(0);
    await checkpointNow(db, signer, Date.now(), { waitForSigner: true });
    const green = await healthWhen('green once signed', (h) => h.status === 200);
    expect(green.checks.checkpoint).toBe('ok');
    expect(await metric('zebra_audit_checkpoint_stale')).toBe(0);
  });

  it("the containers' healthcheck (deploy/healthcheck.js) exits 0 on a green /healthz and 1 on a red one", async () => {
    const check = () =>
      testPki().then(({ caFile }) =>
        promisify(execFile)(process.execPath, [
          'deploy/healthcheck.js',
          `https://${stack.core.core.httpAddress}/healthz`,
          caFile,
        ]).then(
          () => 0,
          (err: { code?: number }) => err.code,
        ),
      );
    await healthWhen('green', (h) => h.status === 200);
    expect(await check()).toBe(0);
    const db = stack.core.core.db;
    await db.transaction((tx) =>
      appendAudit(tx, {
        atMs: Date.now() - 2 * HOUR_MS,
        actor: 'system:test',
        action: 'test.old',
        subject: 'y',
        details: {},
      }),
    );
    await healthWhen('red', (h) => h.status === 503);
    expect(await check()).toBe(1);
    await checkpointNow(db, stack.core.core.api.signer, Date.now(), { waitForSigner: true });
    await healthWhen('green again', (h) => h.status === 200);
  });

  it('turns red when the oldest open review item is older than the SLA', async () => {
    const { privateKey } = testDeviceKey();
    await healthWhen('green to begin with', (h) => h.status === 200 && h.checks.reviewQueue === 'ok: 0 items');
    const capturedAtMs = Date.now() - 10 * 60_000;
    await insertEvent(stack.core.core.db, makeEvent(privateKey, { occurredAtMs: capturedAtMs }), 1);
    const red = await healthWhen('red', (h) => h.status === 503);
    expect(red.checks.reviewQueue).toMatch(/^over SLA: the oldest of 1 items was captured 60\d s ago \(SLA 60 s\)$/);
    expect(await metric('zebra_review_queue_over_sla')).toBe(1);
    expect(await metric('zebra_review_queue_items')).toBe(1);
    expect(await metric('zebra_review_queue_oldest_age_seconds')).toBeGreaterThanOrEqual(600);
  });

  it('reads the queue and the checkpoint lag through indexes, never a scan of reviews or the audit log', async () => {
    const db = stack.core.core.db;
    await db.transaction(async (tx) => {
      // On a small table the planner would rightly scan; forbidding it shows an index serves each query.
      await tx.query('SET LOCAL enable_seqscan = off');
      for (const sql of [QUEUE_AGE_SQL, CHECKPOINT_LAG_SQL]) {
        const { rows } = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan, plan).not.toMatch(/Seq Scan on (reviews|audit_log|audit_checkpoints)/);
        if (sql === QUEUE_AGE_SQL) expect(plan, plan).toMatch(/Index Only Scan using reviews_open_by_capture/);
        else expect(plan, plan).toMatch(/audit_log_pkey/);
      }
    });
  });
});
