/** The roles a person can hold (docs/design.md). `system` is for the core's own workers only. */
export const USER_ROLES = ['reviewer', 'supervisor', 'auditor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export function isUserRole(text: string): text is UserRole {
  return (USER_ROLES as readonly string[]).includes(text);
}

/** Roles that decide on reviews; an admin may not hold them (one person, one side of the rule). */
export const REVIEW_ROLES: readonly UserRole[] = ['reviewer', 'supervisor'];

/** Why these roles may not be held together, or undefined when they may. */
export function roleConflict(roles: readonly UserRole[]): string | undefined {
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
export function effectiveRoles(roles: readonly UserRole[]): readonly UserRole[] {
  return roles.includes('admin') ? roles.filter((r) => !REVIEW_ROLES.includes(r)) : roles;
}
