/**
 * The roles a person can hold. The proto enum `Role` (zebra/v1/admin_service.proto) is the one
 * definition; code that speaks names (the users table's text column, the CLI's --role, the
 * console) uses `RoleName`, derived from the enum here, so a role added to the proto is a name
 * everywhere. No Node imports: the console's browser bundle uses this module too.
 */
import { Role, roleFromJSON } from './gen/zebra/v1/admin_service.js';

const PREFIX = 'ROLE_';
/** The enum's keys a person can hold (not the zero value, not ts-proto's UNRECOGNIZED). */
type AssignableKey = Exclude<keyof typeof Role, 'ROLE_UNSPECIFIED' | 'UNRECOGNIZED'>;
type NameOf<K> = K extends `${typeof PREFIX}${infer N}` ? Lowercase<N> : never;

/** 'reviewer' | 'supervisor' | 'auditor' | 'admin': the enum's names without ROLE_, in lower case. */
export type RoleName = NameOf<AssignableKey>;

const isAssignableKey = (key: string): key is AssignableKey =>
  key.startsWith(PREFIX) && key !== 'ROLE_UNSPECIFIED' && key in Role;

/** Every role name, in the enum's order. */
export const ROLE_NAMES: readonly RoleName[] = Object.keys(Role)
  .filter(isAssignableKey)
  .map((key) => key.slice(PREFIX.length).toLowerCase() as RoleName);

export function isRoleName(text: string): text is RoleName {
  return (ROLE_NAMES as readonly string[]).includes(text);
}

/** ROLE_REVIEWER from 'reviewer'. */
export function roleOf(name: RoleName): Role {
  return Role[`${PREFIX}${name.toUpperCase()}` as AssignableKey];
}

/**
 * 'reviewer' from ROLE_REVIEWER, given as the enum value or its proto3 JSON name; undefined
 * for the zero value and for a value this build does not know.
 */
export function roleNameOf(role: Role | string): RoleName | undefined {
  const value = typeof role === 'string' ? roleFromJSON(role) : role;
  const key = Role[value] as string | undefined;
  return key !== undefined && isAssignableKey(key) ? (key.slice(PREFIX.length).toLowerCase() as RoleName) : undefined;
}
