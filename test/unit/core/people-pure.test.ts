import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sourceOf } from '../../../core/api/denials.js';
import { durationMs, optionalText, pageSize } from '../../../core/api/args.js';
import { enrolmentCodeHash, mintEnrolmentCode } from '../../../core/auth/enrolment.js';
import { effectiveRoles, roleConflict } from '../../../core/auth/roles.js';
import { findOutOfBounds } from '../../../core/input-bounds.js';

describe('people, pure parts', () => {
  it('mints 80-bit codes in groups of four and hashes them as typed, ignoring case and dashes', () => {
    const codes = new Set(Array.from({ length: 200 }, mintEnrolmentCode));
    expect(codes.size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}$/);
    const code = [...codes][0]!;
    expect(enrolmentCodeHash(code.toLowerCase().replace(/-/g, ' '))).toEqual(enrolmentCodeHash(code));
    expect(enrolmentCodeHash(code)).not.toEqual(enrolmentCodeHash([...codes][1]!));
  });

  it('refuses an admin who reviews, and takes review rights from one that exists', () => {
    expect(roleConflict(['admin', 'reviewer'])).toMatch(/admin may not also be reviewer/);
    expect(roleConflict(['admin', 'supervisor'])).toMatch(/supervisor/);
    expect(roleConflict(['admin', 'auditor'])).toBeUndefined();
    expect(roleConflict(['reviewer', 'supervisor'])).toBeUndefined();
    expect(effectiveRoles(['admin', 'supervisor', 'auditor'])).toEqual(['admin', 'auditor']);
    expect(effectiveRoles(['reviewer', 'supervisor'])).toEqual(['reviewer', 'supervisor']);
  });

  it.each([
    ['ipv4:127.0.0.1:54321', '127.0.0.1'],
    ['ipv6:[::1]:50051', '::1'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['unix:/tmp/sock', 'unix:/tmp/sock'],
  ])('names the source of %s as %s', (peer, source) => {
    expect(sourceOf(peer)).toBe(source);
  });

  it('range-checks numbers and text with INVALID_ARGUMENT', () => {
    const invalid = expect.objectContaining({ code: 'CORE_INVALID_ARGUMENT' });
    expect(() => pageSize(-1, 50, 200)).toThrow(invalid);
    expect(() => pageSize(1.5, 50, 200)).toThrow(invalid);
    expect(pageSize(0, 50, 200)).toBe(50);
    expect(pageSize(4_294_967_295, 50, 200)).toBe(200);
    expect(() => pageSize(-1, 50, 200)).toThrow(/^page_size must/);
    expect(() => pageSize(-1, 50, 200, 'limit')).toThrow(/^limit must be a whole number/);
    expect(() => durationMs('ttl_ms', 1e300, 1000)).toThrow(invalid);
    expect(() => durationMs('ttl_ms', Number.NaN, 1000)).toThrow(invalid);
    expect(() => optionalText('display_name', 'x'.repeat(129), 128)).toThrow(invalid);
    expect(() => optionalText('display_name', 'a\u0000b', 128)).toThrow(invalid);
    expect(optionalText('grounds', 'line one\nline two', 100)).toBe('line one\nline two');
  });

  it('property: findOutOfBounds never throws, and what it lets through holds no NUL byte or non-finite number', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: false, maxDepth: 4 }), (value) => {
        const problem = findOutOfBounds(value);
        const text = JSON.stringify(value, (_, v: unknown) =>
          typeof v === 'number' && !Number.isFinite(v) ? '\u0000' : v,
        );
        if (problem === undefined) expect(text ?? '').not.toContain('\\u0000');
      }),
    );
  });
});
