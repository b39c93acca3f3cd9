import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROLE_NAMES, Role, isRoleName, roleNameOf, roleOf, roleToJSON } from '../../../proto/index.js';

describe('role names derived from the proto enum', () => {
  it('names every assignable enum value once, in the enum order, and nothing else', () => {
    expect(ROLE_NAMES).toEqual(['reviewer', 'supervisor', 'auditor', 'admin']);
    const assignable = Object.values(Role).filter(
      (v): v is Role => typeof v === 'number' && v !== Role.ROLE_UNSPECIFIED && v !== Role.UNRECOGNIZED,
    );
    expect(ROLE_NAMES.map(roleOf)).toEqual(assignable);
  });

  it('name -> enum -> name and enum -> JSON name -> name round-trip', () => {
    for (const name of ROLE_NAMES) {
      expect(roleNameOf(roleOf(name))).toBe(name);
      expect(roleNameOf(roleToJSON(roleOf(name)))).toBe(name);
      expect(isRoleName(name)).toBe(true);
    }
    expect(roleOf('admin')).toBe(Role.ROLE_ADMIN);
    expect(roleNameOf('ROLE_AUDITOR')).toBe('auditor');
  });

  it('gives no name for the zero value, an unknown value or anything that is not a role', () => {
    expect(roleNameOf(Role.ROLE_UNSPECIFIED)).toBeUndefined();
    expect(roleNameOf(Role.UNRECOGNIZED)).toBeUndefined();
    expect(roleNameOf('ROLE_UNSPECIFIED')).toBeUndefined();
    const assignable = new Set(ROLE_NAMES.map(roleOf));
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 10 }), (value) => {
        const name = roleNameOf(value);
        expect(name !== undefined).toBe(assignable.has(value));
        if (name !== undefined) expect(roleOf(name)).toBe(value);
      }),
    );
    const jsonNames = new Set(ROLE_NAMES.map((n) => roleToJSON(roleOf(n))));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...jsonNames, 'ROLE_UNSPECIFIED', 'UNRECOGNIZED')), (text) => {
        expect(roleNameOf(text) !== undefined).toBe(jsonNames.has(text));
      }),
    );
    for (const text of ['', 'system', 'Reviewer', 'ROLE_REVIEWER', 'unspecified', 'unrecognized', 'toString']) {
      expect(isRoleName(text)).toBe(false);
    }
  });
});
