import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NEW_REVIEW, transition } from '../../../core/review/machine.js';
import type { Actor, ReviewAction, ReviewRecord } from '../../../core/review/machine.js';

const POLICY = { claimLeaseMs: 60_000, minEvidenceViewMs: 5_000 };
const r1: Actor = { id: 'r1', roles: ['reviewer'] };
const r2: Actor = { id: 'r2', roles: ['reviewer'] };
const s1: Actor = { id: 's1', roles: ['supervisor'] };
const s2: Actor = { id: 's2', roles: ['supervisor', 'reviewer'] };
const admin: Actor = { id: 'a1', roles: ['admin'] };
const auditor: Actor = { id: 'au', roles: ['auditor'] };
const system: Actor = { id: 'system:core', roles: ['system'] };
const ACTORS = [r1, r2, s1, s2, admin, auditor, system];

/** Runs steps, keeping only accepted ones; returns the record and every effect. */
function run(steps: readonly [Actor, ReviewAction, number][]) {
  let record: ReviewRecord = NEW_REVIEW;
  const effects: { kind: string; record: ReviewRecord; by: string }[] = [];
  for (const [actor, action, atMs] of steps) {
    const result = transition(record, action, actor, atMs, POLICY);
    if (!result.ok) continue;
    expect(result.record.version).toBe(record.version + 1);
    record = result.record;
    effects.push(...result.effects.map((e) => ({ kind: e.kind, record, by: actor.id })));
  }
  return { record, effects };
}

const happyPath = (): [Actor, ReviewAction, number][] => [
  [system, { kind: 'enqueue' }, 0],
  [r1, { kind: 'claim' }, 1_000],
  [r1, { kind: 'confirm', reason: 'clear_infraction', evidenceViewedMs: 6_000 }, 8_000],
  [
    r1,
    { kind: 'link', reference: { citationNumber: 'C-123', issuingOfficer: 'PC 4411', subjectRef: 'DL-998877' } },
    9_000,
  ],
  [s1, { kind: 'approve', reason: 'evidence_supports', evidenceViewedMs: 7_000 }, 20_000],
];

describe('review state machine', () => {
  it('walks the happy path to one deduction by two people', () => {
    const { record, effects } = run(happyPath());
    expect(record.state).toBe('approved');
    expect(effects.map((e) => e.kind)).toEqual(['deduct_points']);
    expect([record.confirmedBy, record.approvedBy]).toEqual(['r1', 's1']);
  });

  it.each([
    ['the confirmer approving their own event', s2, 's2', 'CORE_REVIEW_SAME_PERSON'],
    ['a reviewer approving', r2, 'r1', 'CORE_REVIEW_FORBIDDEN'],
  ] as const)('refuses %s', (_what, approver, confirmer, code) => {
    const steps = happyPath().slice(0, 4);
    const asConfirmer = confirmer === 's2' ? s2 : r1;
    const adjusted = steps.map(
      ([a, action, t]) => [a.id === 'r1' ? asConfirmer : a, action, t] as [Actor, ReviewAction, number],
    );
    const { record } = run(adjusted);
    const result = transition(
      record,
      { kind: 'approve', reason: 'evidence_supports', evidenceViewedMs: 9_000 },
      approver,
      30_000,
      POLICY,
    );
    expect(result).toMatchObject({ ok: false, code });
  });

  it('refuses a decision before the minimum viewing time, naming both times', () => {
    const { record } = run(happyPath().slice(0, 2));
    const result = transition(
      record,
      { kind: 'confirm', reason: 'clear_infraction', evidenceViewedMs: 1_200 },
      r1,
      2_000,
      POLICY,
    );
    expect(result).toMatchObject({
      ok: false,
      code: 'CORE_REVIEW_TOO_FAST',
      message: expect.stringMatching(/1200 ms.*5000 ms/),
    });
  });

  it('refuses a reason outside the taxonomy', () => {
    const { record } = run(happyPath().slice(0, 2));
    const result = transition(
      record,
      { kind: 'reject', reason: 'looked fine to me', evidenceViewedMs: 9_000 },
      r1,
      2_000,
      POLICY,
    );
    expect(result).toMatchObject({ ok: false, code: 'CORE_REVIEW_BAD_REASON' });
  });

  it('lets another reviewer take over only after the lease ran out', () => {
    const { record } = run(happyPath().slice(0, 2));
    expect(transition(record, { kind: 'claim' }, r2, 30_000, POLICY)).toMatchObject({ ok: false });
    expect(transition(record, { kind: 'claim' }, r2, 61_000, POLICY)).toMatchObject({
      ok: true,
      record: { claim: { by: 'r2' } },
    });
    expect(
      transition(record, { kind: 'confirm', reason: 'clear_infraction', evidenceViewedMs: 9_000 }, r1, 61_000, POLICY),
    ).toMatchObject({
      ok: false,
      code: 'CORE_REVIEW_NOT_CLAIMANT',
    });
  });

  it('reverses the deduction when an appeal is upheld by someone not involved', () => {
    const { record } = run([...happyPath(), [admin, { kind: 'appeal', grounds: 'I was not there' }, 30_000]]);
    expect(
      transition(record, { kind: 'uphold_appeal', reason: 'identity_disputed' }, s1, 40_000, POLICY),
    ).toMatchObject({ ok: false, code: 'CORE_REVIEW_SAME_PERSON' });
    const upheld = transition(record, { kind: 'uphold_appeal', reason: 'identity_disputed' }, s2, 40_000, POLICY);
    expect(upheld).toMatchObject({ ok: true, record: { state: 'upheld' }, effects: [{ kind: 'reverse_points' }] });
  });

  it('takes an appeal reason only for its own outcome', () => {
    const { record } = run([...happyPath(), [admin, { kind: 'appeal', grounds: 'I was not there' }, 30_000]]);
    expect(transition(record, { kind: 'uphold_appeal', reason: 'appeal_unfounded' }, s2, 40_000, POLICY)).toMatchObject(
      {
        ok: false,
        code: 'CORE_REVIEW_BAD_REASON',
      },
    );
    expect(transition(record, { kind: 'deny_appeal', reason: 'identity_disputed' }, s2, 40_000, POLICY)).toMatchObject({
      ok: false,
      code: 'CORE_REVIEW_BAD_REASON',
    });
    expect(transition(record, { kind: 'deny_appeal', reason: 'appeal_unfounded' }, s2, 40_000, POLICY)).toMatchObject({
      ok: true,
      record: { state: 'denied' },
      effects: [],
    });
  });

  it('never lets an auditor change anything', () => {
    for (const action of happyPath().map(([, a]) => a)) {
      expect(transition(NEW_REVIEW, action, auditor, 0, POLICY)).toMatchObject({
        ok: false,
        code: 'CORE_REVIEW_FORBIDDEN',
      });
    }
  });

  const actionArb: fc.Arbitrary<ReviewAction> = fc.oneof(
    fc.constant({ kind: 'enqueue' } as const),
    fc.constant({ kind: 'claim' } as const),
    fc.constant({ kind: 'release' } as const),
    fc.constant({ kind: 'expire' } as const),
    fc.record({
      kind: fc.constant('confirm' as const),
      reason: fc.constantFrom('clear_infraction', 'bogus'),
      evidenceViewedMs: fc.integer({ min: 0, max: 20_000 }),
    }),
    fc.record({
      kind: fc.constant('reject' as const),
      reason: fc.constantFrom('evidence_unclear', 'bogus'),
      evidenceViewedMs: fc.integer({ min: 0, max: 20_000 }),
    }),
    fc.constant({
      kind: 'link',
      reference: { citationNumber: 'C-1', issuingOfficer: 'PC 1', subjectRef: 'S-1' },
    } as const),
    fc.record({
      kind: fc.constant('approve' as const),
      reason: fc.constantFrom('evidence_supports', 'bogus'),
      evidenceViewedMs: fc.integer({ min: 0, max: 20_000 }),
    }),
    fc.record({
      kind: fc.constant('deny' as const),
      reason: fc.constantFrom('insufficient_evidence'),
      evidenceViewedMs: fc.integer({ min: 0, max: 20_000 }),
    }),
    fc.constant({ kind: 'appeal', grounds: 'not me' } as const),
    fc.record({
      kind: fc.constantFrom('uphold_appeal' as const, 'deny_appeal' as const),
      reason: fc.constantFrom('identity_disputed', 'appeal_unfounded'),
    }),
  );

  /** A walk through the workflow with random people and viewing times: many steps are refused, some succeed. */
  const walkArb: fc.Arbitrary<[Actor, ReviewAction, number][]> = fc
    .record({
      claimer: fc.constantFrom(r1, r2, s2),
      confirmer: fc.constantFrom(r1, r2, s2),
      linker: fc.constantFrom(r1, r2, s2, s1),
      approver: fc.constantFrom(s1, s2, r1),
      appealer: fc.constantFrom(admin, r2),
      decider: fc.constantFrom(s1, s2),
      viewedMs: fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 20_000 })),
      outcome: fc.constantFrom('uphold_appeal' as const, 'deny_appeal' as const),
    })
    .map(({ claimer, confirmer, linker, approver, appealer, decider, viewedMs, outcome }) => [
      [system, { kind: 'enqueue' }, 0],
      [claimer, { kind: 'claim' }, 10_000],
      [confirmer, { kind: 'confirm', reason: 'clear_infraction', evidenceViewedMs: viewedMs[0] }, 20_000],
      [
        linker,
        { kind: 'link', reference: { citationNumber: 'C-1', issuingOfficer: 'PC 1', subjectRef: 'S-1' } },
        30_000,
      ],
      [approver, { kind: 'approve', reason: 'evidence_supports', evidenceViewedMs: viewedMs[1] }, 40_000],
      [appealer, { kind: 'appeal', grounds: 'not me' }, 50_000],
      [
        decider,
        { kind: outcome, reason: outcome === 'uphold_appeal' ? 'identity_disputed' : 'appeal_unfounded' },
        60_000,
      ],
    ]);

  const stepsArb = fc
    .tuple(
      walkArb,
      walkArb,
      fc.array(fc.tuple(fc.constantFrom(...ACTORS), actionArb, fc.integer({ min: 0, max: 70_000 })), { maxLength: 30 }),
    )
    .map(([a, b, noise]) => [...a, ...b, ...noise].sort((x, y) => x[2] - y[2]));

  it('property: no deduction without two distinct people, never a double deduction, reversals never exceed deductions', () => {
    let deductionsSeen = 0;
    let reversalsSeen = 0;
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const { effects } = run(steps);
        const deductions = effects.filter((e) => e.kind === 'deduct_points');
        const reversals = effects.filter((e) => e.kind === 'reverse_points');
        expect(deductions.length).toBeLessThanOrEqual(1);
        expect(reversals.length).toBeLessThanOrEqual(deductions.length);
        deductionsSeen += deductions.length;
        reversalsSeen += reversals.length;
        for (const d of deductions) {
          expect(d.record.confirmedBy).toBeDefined();
          expect(d.record.approvedBy).toBe(d.by);
          expect(d.record.confirmedBy).not.toBe(d.record.approvedBy);
          expect(d.record.linkedBy).not.toBe(d.record.approvedBy);
          expect([s1, s2].map((s) => s.id)).toContain(d.by);
        }
      }),
      { numRuns: 2000 },
    );
    // The property is only worth something if random runs reach the deduction and the reversal.
    expect(deductionsSeen).toBeGreaterThan(20);
    expect(reversalsSeen).toBeGreaterThan(5);
  });
});
