/** The roles a person can hold (DESIGN.md). `system` is for the core's own workers only. */
export const USER_ROLES = ['reviewer', 'supervisor', 'auditor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export function isUserRole(text: string): text is UserRole {
  return (USER_ROLES as readonly string[]).includes(text);
}
