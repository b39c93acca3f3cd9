import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { isRoleName } from '../../proto/index.js';
import type { RoleName } from '../../proto/index.js';
import { roleConflict } from './roles.js';

export interface UserRecord {
  readonly userId: string;
  readonly displayName: string;
  readonly roles: readonly RoleName[];
  readonly createdAtMs: number;
  readonly disabled: boolean;
}

interface UserRow {
  user_id: string;
  display_name: string;
  roles: string[];
  created_at_ms: number;
  disabled: boolean;
}

const USER_ID = /^[a-z0-9][a-z0-9._-]{1,62}$/;
const USER_COLUMNS = `user_id, display_name, roles, (extract(epoch FROM created_at) * 1000)::float8 AS created_at_ms, disabled`;

function toUser(row: UserRow): UserRecord {
  return {
    userId: row.user_id,
    displayName: row.display_name,
    roles: row.roles.filter(isRoleName),
    createdAtMs: Math.round(Number(row.created_at_ms)),
    disabled: row.disabled,
  };
}

export async function insertUser(
  db: Queryable,
  user: { userId: string; displayName: string; roles: readonly RoleName[]; createdBy?: string },
  nowMs: number,
): Promise<UserRecord> {
  if (!USER_ID.test(user.userId)) {
    throw new CoreError(
      CoreErrorCode.INVALID_ARGUMENT,
      `user id "${user.userId}" must be 2-63 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  if (user.roles.length === 0) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'give the user at least one role');
  const conflict = roleConflict(user.roles);
  if (conflict) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, conflict);
  const { rows } = await db.query<UserRow>(
    `INSERT INTO users (user_id, display_name, roles, created_at, created_by)
     VALUES ($1, $2, $3::text[], to_timestamp($4::float8 / 1000), $5)
     ON CONFLICT (user_id) DO NOTHING RETURNING ${USER_COLUMNS}`,
    [user.userId, user.displayName.trim() || user.userId, [...new Set(user.roles)], nowMs, user.createdBy ?? null],
  );
  if (!rows[0]) throw new CoreError(CoreErrorCode.ALREADY_EXISTS, `user ${user.userId} already exists`);
  return toUser(rows[0]);
}

export async function findUser(db: Queryable, userId: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE user_id = $1`, [userId]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function listUsers(db: Queryable): Promise<UserRecord[]> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY user_id`);
  return rows.map(toUser);
}

export async function countUsers(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM users');
  return Number(rows[0]?.n ?? 0);
}

export async function insertToken(
  db: Queryable,
  token: { tokenId: string; userId: string; secretSha256: Buffer; label: string; expiresAtMs: number },
  nowMs: number,
): Promise<void> {
  await db.query(
    `INSERT INTO api_tokens (token_id, user_id, secret_sha256, label, created_at, expires_at)
     VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000), to_timestamp($6::float8 / 1000))`,
    [token.tokenId, token.userId, token.secretSha256, token.label, nowMs, token.expiresAtMs],
  );
}

export interface TokenRow {
  readonly userId: string;
  readonly secretSha256: Buffer;
  readonly expiresAtMs: number;
  readonly isRevoked: boolean;
}

export async function findToken(db: Queryable, tokenId: string): Promise<TokenRow | undefined> {
  const { rows } = await db.query<{
    user_id: string;
    secret_sha256: Uint8Array;
    expires_at_ms: number;
    revoked: boolean;
  }>(
    `SELECT user_id, secret_sha256, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_at_ms,
       revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE token_id = $1`,
    [tokenId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    userId: row.user_id,
    secretSha256: Buffer.from(row.secret_sha256),
    expiresAtMs: Math.round(Number(row.expires_at_ms)),
    isRevoked: row.revoked,
  };
}

/** Marks a token revoked; returns false when there is no such token. */
export async function revokeToken(db: Queryable, tokenId: string, nowMs: number): Promise<boolean> {
  const result = await db.query(
    'UPDATE api_tokens SET revoked_at = coalesce(revoked_at, to_timestamp($2::float8 / 1000)) WHERE token_id = $1',
    [tokenId, nowMs],
  );
  return result.rowCount === 1;
}

/** A token as listed: never its secret. */
export interface TokenListing {
  readonly tokenId: string;
  readonly userId: string;
  readonly label: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  /** 0 while not revoked. */
  readonly revokedAtMs: number;
}

/** A user's newest `limit` tokens, newest first (one index range, whatever the history). */
export async function listTokens(db: Queryable, userId: string, limit: number): Promise<TokenListing[]> {
  const ms = (column: string): string => `(extract(epoch FROM ${column}) * 1000)::float8`;
  const { rows } = await db.query<{
    token_id: string;
    user_id: string;
    label: string;
    created_at_ms: number;
    expires_at_ms: number;
    revoked_at_ms: number | null;
  }>(
    `SELECT token_id, user_id, label, ${ms('created_at')} AS created_at_ms, ${ms('expires_at')} AS expires_at_ms,
       ${ms('revoked_at')} AS revoked_at_ms
     FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, token_id LIMIT $2`,
    [userId, limit],
  );
  return rows.map((r) => ({
    tokenId: r.token_id,
    userId: r.user_id,
    label: r.label,
    createdAtMs: Math.round(Number(r.created_at_ms)),
    expiresAtMs: Math.round(Number(r.expires_at_ms)),
    revokedAtMs: r.revoked_at_ms === null ? 0 : Math.round(Number(r.revoked_at_ms)),
  }));
}

/** Marks a user disabled; undefined when there is no such user. */
export async function disableUser(db: Queryable, userId: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRow>(
    `UPDATE users SET disabled = true WHERE user_id = $1 RETURNING ${USER_COLUMNS}`,
    [userId],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}
