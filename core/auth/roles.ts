/**
 * Rules over the roles a person can hold (docs/design.md); the roles themselves are the proto's
 * `Role` enum, by name `RoleName` (proto/roles.ts).
 */
import type { RoleName } from '../../proto/index.js';

/** Roles that decide on reviews; an admin may not hold them (one person, one side of the rule). */
export const REVIEW_ROLES: readonly RoleName[] = ['reviewer', 'supervisor'];

/** Why these roles may not be held together, or undefined when they may. */
export function roleConflict(roles: readonly RoleName[]): string | undefined {
  if (!roles.includes('admin')) return undefined;
  const review = roles.filter((r) => REVIEW_ROLES.includes(r));
  return review.length > 0
    ? `an admin may not also be ${review.join(' or ')}: the admin creates people, so an admin who reviews could be both deciders`
    : undefined;
}

/**
 * The roles a user acts with: an admin's review roles (from rows written before the rule) are
 * dropped, so they grant nothing.
 */
export function effectiveRoles(roles: readonly RoleName[]): readonly RoleName[] {
  return roles.includes('admin') ? roles.filter((r) => !REVIEW_ROLES.includes(r)) : roles;
}
