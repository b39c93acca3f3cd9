import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvent } from '../../core/index.js';
import type { Database } from '../../core/index.js';
import { entriesFor } from '../../core/audit/audit-repo.js';
import { balanceOf } from '../../core/review/ledger.js';
import { actOnReview, openEvidence } from '../../core/review/review-service.js';
import type { Actor } from '../../core/review/machine.js';
import { migratedTestDatabase } from '../harness/stack.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';

const DAY_MS = 86_400_000;
const OPTIONS = {
  review: { claimLeaseMs: 60_000, minEvidenceViewMs: 5_000 },
  ledger: { baselinePoints: 12, pointsByKind: { entered_on_steady_dont_walk: 2 }, deductionTtlMs: 365 * DAY_MS },
};
const reviewer: Actor = { id: 'officer-a', roles: ['reviewer'] };
const supervisor: Actor = { id: 'sergeant-b', roles: ['supervisor'] };
const other: Actor = { id: 'sergeant-c', roles: ['supervisor'] };
const clerk: Actor = { id: 'clerk-d', roles: ['admin'] };
const T0 = 1_800_000_000_000;
const REF = { citationNumber: 'C-2026-0042', issuingOfficer: 'PC 4411', subjectRef: 'DL-12345' };

describe('review service on a real database', () => {
  let db: Database & AsyncDisposable;
  const { privateKey } = testDeviceKey();
  let seq = 0;

  beforeAll(async () => {
    db = await migratedTestDatabase();
  });
  afterAll(async () => {
    await db?.[Symbol.asyncDispose]();
  });

  async function newEvent(): Promise<string> {
    const event = makeEvent(privateKey, { cameraSeq: ++seq });
    await db.transaction((tx) => insertEvent(tx, event, seq));
    return event.eventId;
  }

  /** Claim, confirm and link by `reviewer`, each having looked at the evidence first. */
  async function confirmAndLink(eventId: string): Promise<void> {
    await openEvidence(db, eventId, reviewer, 'first review', T0);
    await actOnReview(db, eventId, { kind: 'claim' }, reviewer, T0 + 1_000, OPTIONS);
    await actOnReview(db, eventId, { kind: 'confirm', reason: 'clear_infraction' }, reviewer, T0 + 6_000, OPTIONS);
    await actOnReview(db, eventId, { kind: 'link', reference: REF }, reviewer, T0 + 7_000, OPTIONS);
  }

  it('deducts once after two people, restores on an upheld appeal, and audits every step', async () => {
    const eventId = await newEvent();
    await confirmAndLink(eventId);
    expect(await balanceOf(db, REF.subjectRef, OPTIONS.ledger, T0 + 8_000)).toBe(12);
    await openEvidence(db, eventId, supervisor, 'second review', T0 + 8_000);
    const approved = await actOnReview(
      db,
      eventId,
      { kind: 'approve', reason: 'evidence_supports' },
      supervisor,
      T0 + 14_000,
      OPTIONS,
    );
    expect(approved).toMatchObject({ state: 'approved', confirmedBy: reviewer.id, approvedBy: supervisor.id });
    expect(await balanceOf(db, REF.subjectRef, OPTIONS.ledger, T0 + 15_000)).toBe(10);
    await actOnReview(db, eventId, { kind: 'appeal', grounds: 'I was not there' }, clerk, T0 + 20_000, OPTIONS);
    await actOnReview(db, eventId, { kind: 'uphold_appeal', reason: 'identity_disputed' }, other, T0 + 30_000, OPTIONS);
    expect(await balanceOf(db, REF.subjectRef, OPTIONS.ledger, T0 + 31_000)).toBe(12);
    const trail = (await entriesFor(db, eventId)).map((e) => `${e.actor} ${e.action}`);
    expect(trail).toEqual([
      'officer-a evidence.read',
      'officer-a review.claim',
      'officer-a review.confirm',
      'officer-a review.link',
      'sergeant-b evidence.read',
      'sergeant-b review.approve',
      'system:ledger ledger.deducted',
      'clerk-d review.appeal',
      'sergeant-c review.uphold_appeal',
      'system:ledger ledger.reversed',
    ]);
  });

  it('stops counting a deduction once it expires', async () => {
    const eventId = await newEvent();
    await confirmAndLink(eventId);
    await openEvidence(db, eventId, other, 'second review', T0);
    await actOnReview(db, eventId, { kind: 'approve', reason: 'evidence_supports' }, other, T0 + 10_000, OPTIONS);
    const subject = REF.subjectRef;
    const before = await balanceOf(db, subject, OPTIONS.ledger, T0 + 11_000);
    expect(await balanceOf(db, subject, OPTIONS.ledger, T0 + 10_000 + 365 * DAY_MS + 1)).toBe(before + 2);
  });

  it('refuses a decision before the evidence was open long enough, or never opened', async () => {
    const eventId = await newEvent();
    await actOnReview(db, eventId, { kind: 'claim' }, reviewer, T0, OPTIONS);
    await expect(
      actOnReview(db, eventId, { kind: 'confirm', reason: 'clear_infraction' }, reviewer, T0 + 1_000, OPTIONS),
    ).rejects.toMatchObject({
      code: 'CORE_REVIEW_TOO_FAST',
      message: expect.stringContaining('open 0 ms'),
    });
    await openEvidence(db, eventId, reviewer, 'first review', T0 + 1_000);
    await expect(
      actOnReview(db, eventId, { kind: 'confirm', reason: 'clear_infraction' }, reviewer, T0 + 3_000, OPTIONS),
    ).rejects.toMatchObject({
      code: 'CORE_REVIEW_TOO_FAST',
    });
    await expect(
      actOnReview(db, eventId, { kind: 'confirm', reason: 'clear_infraction' }, reviewer, T0 + 6_500, OPTIONS),
    ).resolves.toMatchObject({
      state: 'confirmed',
    });
  });

  it('refuses a stale version and leaves the review as it was', async () => {
    const eventId = await newEvent();
    const claimed = await actOnReview(db, eventId, { kind: 'claim' }, reviewer, T0, OPTIONS);
    await expect(
      actOnReview(db, eventId, { kind: 'release' }, reviewer, T0 + 1, OPTIONS, claimed.version - 1),
    ).rejects.toMatchObject({
      code: 'CORE_REVIEW_VERSION_CONFLICT',
    });
    const { rows } = await db.query<{ state: string; version: number }>(
      'SELECT state, version FROM reviews WHERE event_id = $1::uuid',
      [eventId],
    );
    expect(rows[0]).toEqual({ state: 'in_review', version: claimed.version });
  });

  it('refuses a second deduction for the same event at the database too', async () => {
    const eventId = await newEvent();
    await confirmAndLink(eventId);
    await openEvidence(db, eventId, supervisor, 'second review', T0);
    await actOnReview(db, eventId, { kind: 'approve', reason: 'evidence_supports' }, supervisor, T0 + 10_000, OPTIONS);
    await expect(
      db.query(
        "INSERT INTO ledger_entries (subject_ref, event_id, kind, points, at) VALUES ($1, $2::uuid, 'deduction', -2, now())",
        [REF.subjectRef, eventId],
      ),
    ).rejects.toThrow(/duplicate key|unique/i);
  });
});
