import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairLinks } from '../../../core/console/views/evidence.js';
import { EARLIEST_DAY, cameraKey, checkFilters } from '../../../core/console/views/queue-filters.js';
import { clockMs, dateTimeMs, offsetSeconds } from '../../../core/console/time.js';
import { REVIEW_STATE_LABEL, SIGNAL_STATE_LABEL } from '../../../core/console/labels.js';
import { EvidenceLink } from '../../../proto/gen/zebra/v1/review_service.js';
import { EvidenceRef } from '../../../proto/gen/zebra/v1/event.js';
import { RAW_TEXT } from '../../browser/text-scan.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const none = { camera: '', since: '', until: '', minConfidence: '' };

describe('the queue filters (pure)', () => {
  it('take a confidence from 0 to 1 and refuse anything else with a message naming the field', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (n) => {
        const r = checkFilters({ ...none, minConfidence: String(n) }, NOW);
        if (n >= 0 && n <= 1) expect(r).toMatchObject({ ok: true, filters: { minConfidence: Number(String(n)) } });
        else expect(r).toMatchObject({ ok: false, error: expect.stringContaining('Minimum confidence') });
      }),
    );
    expect(checkFilters({ ...none, minConfidence: 'high' }, NOW)).toMatchObject({ ok: false });
  });

  it('take a date range inside the system’s life, From before To, and refuse the rest', () => {
    const day = fc
      .integer({ min: Date.parse('2015-01-01'), max: Date.parse('2030-12-31') })
      .map((ms) => new Date(ms).toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, day, (since, until) => {
        const r = checkFilters({ ...none, since, until }, NOW);
        const inRange = (d: string): boolean => d >= EARLIEST_DAY && Date.parse(d) <= NOW + 86_400_000;
        if (!inRange(since) || !inRange(until)) expect(r.ok).toBe(false);
        else if (since > until) expect(r).toMatchObject({ ok: false, error: '“From” is after “To”.' });
        else
          expect(r).toMatchObject({
            ok: true,
            filters: { sinceMs: Date.parse(since), untilMs: Date.parse(until) + 86_400_000 },
          });
      }),
    );
    expect(checkFilters({ ...none, since: '2026-02-30' }, NOW)).toMatchObject({ ok: false });
  });

  it('take a camera only as the list made it (ids may hold any character)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (site, cam) => {
        const r = checkFilters({ ...none, camera: cameraKey(site, cam) }, NOW);
        expect(r).toMatchObject({ ok: true, filters: { siteId: site, cameraId: cam } });
      }),
    );
    expect(checkFilters({ ...none, camera: 'cam-1' }, NOW)).toMatchObject({
      ok: false,
      error: 'Choose a camera from the list.',
    });
  });
});

describe('evidence links are paired with the event’s objects by key, not by position', () => {
  it('pairs each link with the object of the same role and hash, whatever the order', () => {
    const refs = fc.uniqueArray(
      fc.record({
        role: fc.constantFrom('before', 'entry', 'decision', 'after', 'clip'),
        sha: fc.stringMatching(/^[0-9a-f]{1,64}$/),
      }),
      { selector: (r) => `${r.role}\n${r.sha}`, maxLength: 6 },
    );
    fc.assert(
      fc.property(refs, fc.integer(), (rs, seed) => {
        const evidence = rs.map((r, i) =>
          EvidenceRef.fromPartial({ role: r.role, sha256Hex: r.sha, frameCapturedAtMs: i + 1 }),
        );
        const links = [...rs]
          .sort(() => (seed % 2 ? 1 : -1))
          .map((r) => EvidenceLink.fromPartial({ role: r.role, sha256Hex: r.sha, url: `/x/${r.role}/${r.sha}` }));
        const paired = pairLinks(evidence, [...links, EvidenceLink.fromPartial({ role: 'entry', sha256Hex: 'zz' })]);
        expect(paired).toHaveLength(rs.length);
        for (const { ref, link } of paired) expect([ref.role, ref.sha256Hex]).toEqual([link.role, link.sha256Hex]);
      }),
    );
  });
});

describe('times and words for people', () => {
  it('show milliseconds and never an epoch number, "NaN" or "undefined"', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -1e15, max: 1e15 }), fc.constant(Number.NaN)), (ms) => {
        for (const text of [dateTimeMs(ms), clockMs(ms)]) {
          expect(text).not.toMatch(/NaN|undefined|\b\d{10,}\b/);
          expect(text).toMatch(/^(not recorded|(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{3}( UTC)?)$/);
        }
      }),
    );
    expect(dateTimeMs(Date.parse('2026-12-03T17:16:56.600Z'))).toBe('2026-12-03 17:16:56.600 UTC');
    expect(offsetSeconds(-600)).toBe('−0.600 s');
  });

  it('have words for every review state and signal state (no enum names)', () => {
    for (const label of [...Object.values(REVIEW_STATE_LABEL), ...Object.values(SIGNAL_STATE_LABEL)])
      expect(label).not.toMatch(/_|[A-Z]{2,}_/);
  });
});

describe('the raw-text scan the browser tests apply to every screen', () => {
  const flagged = (line: string): string[] => RAW_TEXT.filter((r) => r.pattern.test(line)).map((r) => r.what);

  it('flags what the issue saw on the screens', () => {
    expect(flagged('State REVIEW_STATE_LINKED')).toEqual(['enum name']);
    expect(flagged('entered on steady dont_walk')).toEqual(['code with underscores']);
    expect(flagged('pixelate, undefined face(s)')).toEqual(['undefined']);
    expect(flagged('for NaN s')).toEqual(['NaN']);
    expect(flagged('at 1764783416600')).toContain('epoch ms');
    expect(flagged('id 5e97de23-abf8-4ad0-85f3-f568bee2b9ba')).toContain('UUID');
    expect(flagged('model (3f9a0c2b1d4e…)')).toEqual(['hex']);
  });

  it('passes the words the console shows instead', () => {
    for (const line of [
      'Entry · 09:44:50.099 UTC (+0.000 s from the entry) · pixelated on the device: 1 face found',
      'Signal from a fixed schedule file (not the controller): schedule “demo-cycle”, version 1',
      'Intersection site-1, camera cam-2 · Waiting for the second review',
    ])
      expect(flagged(line)).toEqual([]);
  });
});
