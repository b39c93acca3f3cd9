import { createHash, randomInt } from 'node:crypto';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';

/** Letters and digits that cannot be mistaken for one another when read out or typed. */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 16; // 80 bits
const GROUP = 4;

export interface IssuedEnrolment {
  /** Shown once, to the admin who hands it over; e.g. "K7QD-M2XA-9PRT-HWE4". */
  readonly code: string;
  readonly expiresAtMs: number;
}

/** A fresh code in groups of four, e.g. "K7QD-M2XA-9PRT-HWE4". */
export function mintEnrolmentCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  const groups: string[] = [];
  for (let i = 0; i < CODE_LENGTH; i += GROUP) groups.push(chars.slice(i, i + GROUP).join(''));
  return groups.join('-');
}

/** SHA-256 of the code as typed, ignoring case, spaces and dashes. */
export function enrolmentCodeHash(code: string): Buffer {
  const normalised = code.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return createHash('sha256').update(normalised, 'utf8').digest();
}

/**
 * Issues a one-time enrolment code for `userId`, voiding any unused one it had. Only the hash
 * is stored. The caller audits it in the same transaction.
 */
export async function issueEnrolment(
  tx: Queryable,
  userId: string,
  issuedBy: string,
  nowMs: number,
  ttlMs: number,
): Promise<IssuedEnrolment> {
  const code = mintEnrolmentCode();
  const expiresAtMs = nowMs + ttlMs;
  await tx.query(
    `UPDATE enrolment_codes SET voided_at = to_timestamp($2::float8 / 1000)
     WHERE user_id = $1 AND used_at IS NULL AND voided_at IS NULL`,
    [userId, nowMs],
  );
  await tx.query(
    `INSERT INTO enrolment_codes (code_sha256, user_id, issued_by, issued_at, expires_at)
     VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), to_timestamp($5::float8 / 1000))`,
    [enrolmentCodeHash(code), userId, issuedBy, nowMs, expiresAtMs],
  );
  return { code, expiresAtMs };
}

/**
 * Marks a code used and returns whose it is. Refuses (CORE_UNAUTHENTICATED) a code that is
 * unknown, used, voided by a later reset, expired, or whose user is disabled: all alike, so a
 * guesser learns nothing.
 */
export async function redeemEnrolment(tx: Queryable, code: string, nowMs: number): Promise<{ userId: string }> {
  const { rows } = await tx.query<{ user_id: string }>(
    `UPDATE enrolment_codes c SET used_at = to_timestamp($2::float8 / 1000)
     FROM users u
     WHERE c.code_sha256 = $1 AND c.used_at IS NULL AND c.voided_at IS NULL
       AND c.expires_at > to_timestamp($2::float8 / 1000) AND u.user_id = c.user_id AND NOT u.disabled
     RETURNING c.user_id`,
    [enrolmentCodeHash(code), nowMs],
  );
  if (!rows[0])
    throw new CoreError(
      CoreErrorCode.UNAUTHENTICATED,
      'the enrolment code is not valid: unknown, already used, replaced or expired; ask an admin for a new one',
    );
  return { userId: rows[0].user_id };
}

/** Revokes every live token of a user; returns their ids (for the caches). */
export async function revokeTokensOf(tx: Queryable, userId: string, nowMs: number): Promise<string[]> {
  const { rows } = await tx.query<{ token_id: string }>(
    `UPDATE api_tokens SET revoked_at = to_timestamp($2::float8 / 1000)
     WHERE user_id = $1 AND revoked_at IS NULL RETURNING token_id`,
    [userId, nowMs],
  );
  return rows.map((r) => r.token_id);
}
