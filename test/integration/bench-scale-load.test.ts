import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreConfigSchema, verifyAuditExport } from '../../core/index.js';
import type { Database } from '../../core/index.js';
import { entriesFor, listCheckpoints, loadEntries } from '../../core/audit/audit-repo.js';
import type { AuditEntry } from '../../core/audit/entry.js';
import { merkleRoot } from '../../core/audit/merkle.js';
import { checkpointNow, loadOrCreateSigner } from '../../core/audit/signer.js';
import { balanceOf } from '../../core/review/ledger.js';
import type { Actor } from '../../core/review/machine.js';
import { readReview } from '../../core/review/review-repo.js';
import { actOnReview, openEvidence } from '../../core/review/review-service.js';
import { checkAuditLog } from '../bench/scale-check.js';
import { bulkLoad, eventIdOf, fateOf, lifecycleOf, newRows, subjectRefOf } from '../bench/scale-load.js';
import type { LifecyclePolicy } from '../bench/scale-load.js';
import { testDeviceKey } from '../harness/events.js';
import { migratedTestDatabase } from '../harness/stack.js';
import { tempDir } from '../harness/temp.js';

const POLICY: LifecyclePolicy = {
  review: CoreConfigSchema.shape.review.parse(undefined),
  ledger: CoreConfigSchema.shape.ledger.parse(undefined),
};
const COUNT = 75;
const SEED = 'bench-test';

/** An entry as compared: the ledger's expiry relative to the entry's time (the clocks differ). */
function comparable(e: Omit<AuditEntry, 'seq'>): unknown {
  const details = { ...e.details };
  if (typeof details.expiresAtMs === 'number') details.expiresAtMs -= e.atMs;
  return { actor: e.actor, action: e.action, subject: e.subject, details };
}

describe("bench:scale's bulk loader", () => {
  let db: Database & AsyncDisposable;
  let written: number;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    written = await bulkLoad(db, SEED, COUNT, testDeviceKey().privateKey, Date.now(), POLICY);
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });

  it('writes an audit log that the core signs and its verifier accepts, ten entries an event', async () => {
    const fates = Array.from({ length: COUNT }, (_, i) => fateOf(i));
    const approved = fates.filter((f) => f === 'approved').length;
    const rejected = fates.filter((f) => f === 'rejected').length;
    // ingest + claim, 2 reads, confirm, link, 2 reads, approve, ledger, audit read | ingest + claim, 2 reads, reject | ingest
    expect(written).toBe(approved * 11 + rejected * 5 + (COUNT - approved - rejected));
    const check = await checkAuditLog(db);
    expect(check.size).toBe(written);
    expect(check.root.equals(merkleRoot((await loadEntries(db)).map((e) => e.leafHash)))).toBe(true);

    await using keys = await tempDir('zebra-bench-key-');
    const signer = await loadOrCreateSigner(join(keys.path, 'audit.pem'), 'bench.test');
    const cp = await checkpointNow(db, signer, Date.now());
    expect(cp?.treeSize).toBe(written);
    expect(cp?.rootHash.equals(check.root)).toBe(true);
    const result = verifyAuditExport(
      { entries: await loadEntries(db), checkpoints: await listCheckpoints(db) },
      createPublicKey(signer.publicKeyPem),
    );
    expect(result.problems).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('leaves reviews, decisions, views and the ledger as the review service would', async () => {
    const count = async (sql: string): Promise<Record<string, number>> =>
      Object.fromEntries((await db.query<{ k: string; n: string | number }>(sql)).rows.map((r) => [r.k, Number(r.n)]));
    expect(await count('SELECT state AS k, count(*) AS n FROM reviews GROUP BY state')).toEqual({
      approved: 60,
      rejected: 9,
      queued: 6,
    });
    expect(await count('SELECT kind AS k, count(*) AS n FROM review_decisions GROUP BY kind')).toEqual({
      confirm: 60,
      approve: 60,
      reject: 9,
    });
    expect(await count('SELECT kind AS k, count(*) AS n FROM ledger_entries GROUP BY kind')).toEqual({
      deduction: 60,
    });
    expect(await count("SELECT 'views' AS k, count(*) AS n FROM evidence_views")).toEqual({ views: 60 * 5 + 9 * 2 });
    const subject = subjectRefOf(0, COUNT);
    const deductions = Array.from({ length: COUNT }, (_, i) => i).filter(
      (i) => fateOf(i) === 'approved' && subjectRefOf(i, COUNT) === subject,
    ).length;
    expect(deductions).toBeGreaterThan(0);
    expect(await balanceOf(db, subject, POLICY.ledger, Date.now())).toBe(POLICY.ledger.baselinePoints - 2 * deductions);
  });

  it("writes for an event's review life the entries and rows the review service writes for it", async () => {
    // An event the loader left queued, taken through the same life by the real service.
    const j = Array.from({ length: COUNT }, (_, i) => i).find((i) => fateOf(i) === 'queued')!;
    const eventId = eventIdOf(SEED, j);
    const expected = newRows();
    lifecycleOf(SEED, j, COUNT, Date.now(), POLICY, expected, 'approved');

    const reviewer: Actor = { id: expected.entries[0]!.actor, roles: ['reviewer'] };
    const supervisor: Actor = { id: expected.decisions[1]!.actor, roles: ['supervisor'] };
    const auditor = { id: expected.entries.at(-1)!.actor, roles: ['auditor'] } as Actor;
    const viewedMs = expected.decisions[0]!.viewedMs;
    const reference = expected.reviews[0]!.record.reference!;
    const t0 = Date.now();
    const t1 = t0 + viewedMs;
    const options = { review: POLICY.review, ledger: POLICY.ledger };
    await actOnReview(db, eventId, { kind: 'claim' }, reviewer, t0, options);
    await openEvidence(db, eventId, reviewer, 'review', t0);
    await openEvidence(db, eventId, reviewer, 'review', t0);
    await actOnReview(db, eventId, { kind: 'confirm', reason: 'clear_infraction' }, reviewer, t1, options);
    await actOnReview(db, eventId, { kind: 'link', reference }, reviewer, t1, options);
    await openEvidence(db, eventId, supervisor, 'second review', t1);
    await openEvidence(db, eventId, supervisor, 'second review', t1);
    await actOnReview(
      db,
      eventId,
      { kind: 'approve', reason: 'evidence_supports' },
      supervisor,
      t1 + expected.decisions[1]!.viewedMs,
      options,
    );
    await openEvidence(db, eventId, auditor, 'audit', t1 + 60_000);

    const real = (await entriesFor(db, eventId)).slice(1); // after event.ingested
    expect(real.map(comparable)).toEqual(expected.entries.map(comparable));
    expect(await readReview(db, eventId)).toEqual(expected.reviews[0]!.record);
    const { rows } = await db.query<{ kind: string; actor: string; reason_code: string; v: string | number }>(
      'SELECT kind, actor, reason_code, evidence_viewed_ms AS v FROM review_decisions WHERE event_id = $1 ORDER BY at',
      [eventId],
    );
    expect(rows.map((r) => ({ kind: r.kind, actor: r.actor, reason: r.reason_code, viewedMs: Number(r.v) }))).toEqual(
      expected.decisions.map(({ kind, actor, reason, viewedMs: v }) => ({ kind, actor, reason, viewedMs: v })),
    );
  });
});
