import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { effectiveRoles } from './roles.js';
import type { RoleName } from '../../proto/index.js';
import { parseToken, sameSecret } from './tokens.js';
import { findToken, findUser } from './users-repo.js';

/** Who is calling, as established from a verified token. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly RoleName[];
  readonly tokenId: string;
}

interface CacheEntry {
  readonly principal: Principal;
  readonly secretSha256: Buffer;
  readonly validUntilMs: number;
}

/**
 * Verifies bearer tokens against the database. A verified token is cached for `cacheMs` (and
 * never past its expiry), so a revocation or a disabled user takes effect within `cacheMs`
 * on other replicas and at once on this one.
 */
export class Authenticator {
  readonly #db: Queryable;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, CacheEntry>();

  constructor(db: Queryable, cacheMs = 10_000) {
    this.#db = db;
    this.#cacheMs = cacheMs;
  }

  /** Throws CORE_UNAUTHENTICATED with the reason when the token is missing or not valid now. */
  async authenticate(token: string | undefined, nowMs: number): Promise<Principal> {
    if (!token)
      throw new CoreError(CoreErrorCode.UNAUTHENTICATED, 'no bearer token; send "authorization: Bearer <token>"');
    const parsed = parseToken(token);
    if (!parsed) throw new CoreError(CoreErrorCode.UNAUTHENTICATED, 'the bearer token is malformed');
    const cached = this.#cache.get(parsed.tokenId);
    if (cached && cached.validUntilMs > nowMs && sameSecret(cached.secretSha256, parsed.secretSha256))
      return cached.principal;
    const row = await findToken(this.#db, parsed.tokenId);
    if (!row || !sameSecret(row.secretSha256, parsed.secretSha256))
      throw new CoreError(CoreErrorCode.UNAUTHENTICATED, 'the bearer token is not known');
    if (row.isRevoked) throw new CoreError(CoreErrorCode.UNAUTHENTICATED, 'the bearer token was revoked');
    if (row.expiresAtMs <= nowMs) throw new CoreError(CoreErrorCode.UNAUTHENTICATED, 'the bearer token has expired');
    const user = await findUser(this.#db, row.userId);
    if (!user || user.disabled)
      throw new CoreError(CoreErrorCode.UNAUTHENTICATED, `user ${row.userId} is disabled or gone`);
    const principal: Principal = { userId: user.userId, roles: effectiveRoles(user.roles), tokenId: parsed.tokenId };
    this.#cache.set(parsed.tokenId, {
      principal,
      secretSha256: row.secretSha256,
      validUntilMs: Math.min(nowMs + this.#cacheMs, row.expiresAtMs),
    });
    return principal;
  }

  /** Drops a token from this replica's cache (after revocation). */
  forget(tokenId: string): void {
    this.#cache.delete(tokenId);
  }

  /** Drops every cached token of a user. */
  forgetUser(userId: string): void {
    for (const [id, entry] of this.#cache) if (entry.principal.userId === userId) this.#cache.delete(id);
  }
}
