import {
  AdminServiceService,
  CreateUserRequest,
  CreateUserResponse,
  IssueTokenRequest,
  IssueTokenResponse,
  ListUsersRequest,
  ListUsersResponse,
  ListDevicesRequest,
  ListDevicesResponse,
  RegisterDeviceRequest,
  RegisterDeviceResponse,
  ResetEnrolmentRequest,
  ResetEnrolmentResponse,
  RevokeTokenRequest,
  RevokeTokenResponse,
  ROLE_NAMES,
  roleNameOf,
  roleOf,
  WhoAmIRequest,
  WhoAmIResponse,
} from '../../proto/index.js';
import type { RoleName, User } from '../../proto/index.js';
import { appendAudit } from '../audit/audit-repo.js';
import { issueEnrolment, revokeTokensOf } from '../auth/enrolment.js';
import type { IssuedEnrolment } from '../auth/enrolment.js';
import { mintToken } from '../auth/tokens.js';
import { findUser, insertToken, insertUser, listUsers, revokeToken } from '../auth/users-repo.js';
import type { UserRecord } from '../auth/users-repo.js';
import { listDevices, registerDevice } from '../devices/devices-repo.js';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { releaseQuarantined } from '../ingest/release.js';
import { toDeviceMessage, revocationMethods } from './admin-revocations.js';
import { durationMs, optionalText, requireText } from './args.js';
import { ANY_ROLE, defineService, rpc } from './method.js';
import type { CallContext } from './method.js';

const ADMINS = ['admin'] as const;
/** The longest token a caller may ask for. */
const MAX_TOKEN_TTL_MS = 366 * 86_400_000;

function toUserMessage(user: UserRecord): User {
  return { ...user, roles: user.roles.map(roleOf) };
}

/** Issues a token for `userId` and audits it; the secret is only in the return value. */
export async function issueToken(
  ctx: Pick<CallContext, 'deps' | 'nowMs'> & { actor: string },
  userId: string,
  ttlMs: number,
  label: string,
): Promise<IssueTokenResponse> {
  const ttl = ttlMs > 0 ? ttlMs : ctx.deps.config.auth.tokenTtlMs;
  const minted = mintToken();
  const expiresAtMs = ctx.nowMs + ttl;
  await ctx.deps.db.transaction(async (tx) => {
    const user = await findUser(tx, userId);
    if (!user || user.disabled) throw new CoreError(CoreErrorCode.NOT_FOUND, `no active user ${userId}`);
    await insertToken(
      tx,
      { tokenId: minted.tokenId, userId, secretSha256: minted.secretSha256, label, expiresAtMs },
      ctx.nowMs,
    );
    await appendAudit(tx, {
      atMs: ctx.nowMs,
      actor: ctx.actor,
      action: 'token.issued',
      subject: `user:${userId}`,
      details: { tokenId: minted.tokenId, label, expiresAtMs },
    });
  });
  return { token: minted.token, tokenId: minted.tokenId, expiresAtMs };
}

/**
 * Creates a user and audits it. With `enrol`, also issues the one-time enrolment code the
 * person redeems for their own token (the bootstrap admin gets a token file instead).
 */
export async function createUser(
  ctx: Pick<CallContext, 'deps' | 'nowMs'> & { actor: string },
  user: { userId: string; displayName: string; roles: readonly RoleName[] },
  enrol = false,
): Promise<UserRecord & { enrolment?: IssuedEnrolment }> {
  return ctx.deps.db.transaction(async (tx) => {
    const created = await insertUser(tx, { ...user, createdBy: ctx.actor }, ctx.nowMs);
    const enrolment = enrol
      ? await issueEnrolment(tx, created.userId, ctx.actor, ctx.nowMs, ctx.deps.config.auth.enrolmentTtlMs)
      : undefined;
    await appendAudit(tx, {
      atMs: ctx.nowMs,
      actor: ctx.actor,
      action: 'user.created',
      subject: `user:${created.userId}`,
      details: {
        roles: [...created.roles],
        displayName: created.displayName,
        ...(enrolment ? { enrolmentExpiresAtMs: enrolment.expiresAtMs } : {}),
      },
    });
    return { ...created, enrolment };
  });
}

/**
 * Revokes every token and unused code of a user and issues a new enrolment code, audited. The
 * person must enrol again; a takeover by the admin would lock them out, visibly.
 */
async function resetEnrolment(ctx: CallContext, userId: string): Promise<ResetEnrolmentResponse> {
  const result = await ctx.deps.db.transaction(async (tx) => {
    const user = await findUser(tx, userId);
    if (!user || user.disabled) throw new CoreError(CoreErrorCode.NOT_FOUND, `no active user ${userId}`);
    const revoked = await revokeTokensOf(tx, userId, ctx.nowMs);
    const enrolment = await issueEnrolment(
      tx,
      userId,
      ctx.principal.userId,
      ctx.nowMs,
      ctx.deps.config.auth.enrolmentTtlMs,
    );
    await appendAudit(tx, {
      atMs: ctx.nowMs,
      actor: ctx.principal.userId,
      action: 'user.enrolment_reset',
      subject: `user:${userId}`,
      details: { revokedTokens: revoked, enrolmentExpiresAtMs: enrolment.expiresAtMs },
    });
    return { revoked, enrolment };
  });
  for (const tokenId of result.revoked) ctx.deps.authenticator.forget(tokenId);
  ctx.deps.authenticator.forgetUser(userId);
  return { enrolmentCode: result.enrolment.code, enrolmentExpiresAtMs: result.enrolment.expiresAtMs };
}

/**
 * A device is registered at a site the core knows: one of `transport.sites` (the leaf nodes
 * the hub sources) or a site of an already registered device. A core configured with no
 * sites (devices publish to the hub directly) takes any well-formed site id.
 */
async function assertKnownSite(db: Queryable, sites: readonly string[], siteId: string): Promise<void> {
  if (sites.length === 0 || sites.includes(siteId)) return;
  const { rows } = await db.query<{ site_id: string }>(
    'SELECT DISTINCT site_id FROM devices ORDER BY site_id LIMIT 100',
  );
  const known = [...new Set([...sites, ...rows.map((r) => r.site_id)])];
  if (known.includes(siteId)) return;
  throw new CoreError(
    CoreErrorCode.INVALID_ARGUMENT,
    `site_id ${JSON.stringify(siteId.slice(0, 64))} is not a site this core knows (${known.join(', ')}): ` +
      'add it to transport.sites in the core config (and run `zebra nats setup hub`) first',
  );
}

export const adminService = defineService(AdminServiceService, {
  createUser: rpc(ADMINS, CreateUserRequest, CreateUserResponse, async (ctx, req) => {
    const roles = req.roles.map((r) => {
      const name = roleNameOf(r);
      if (!name)
        throw new CoreError(
          CoreErrorCode.INVALID_ARGUMENT,
          `role ${r} is not one of ${ROLE_NAMES.map((n) => n.toUpperCase()).join(', ')}`,
        );
      return name;
    });
    const { enrolment, ...user } = await createUser(
      { ...ctx, actor: ctx.principal.userId },
      {
        userId: requireText('user_id', req.userId, 63),
        displayName: optionalText('display_name', req.displayName, 128),
        roles,
      },
      true,
    );
    return {
      user: toUserMessage(user),
      enrolmentCode: enrolment!.code,
      enrolmentExpiresAtMs: enrolment!.expiresAtMs,
    };
  }),
  listUsers: rpc(ADMINS, ListUsersRequest, ListUsersResponse, async (ctx) => ({
    users: (await listUsers(ctx.deps.db)).map(toUserMessage),
  })),
  issueToken: rpc(ANY_ROLE, IssueTokenRequest, IssueTokenResponse, (ctx, req) => {
    const self = ctx.principal.userId;
    const userId = optionalText('user_id', req.userId, 63) || self;
    if (userId !== self)
      throw new CoreError(
        CoreErrorCode.PERMISSION_DENIED,
        `a token is only ever issued to its own user: ${self} may not take one for ${userId}; ` +
          'create or reset the user (AdminService/ResetEnrolment) and hand them the enrolment code',
      );
    return issueToken(
      { ...ctx, actor: self },
      self,
      durationMs('ttl_ms', req.ttlMs, MAX_TOKEN_TTL_MS),
      optionalText('label', req.label, 128),
    );
  }),
  resetEnrolment: rpc(ADMINS, ResetEnrolmentRequest, ResetEnrolmentResponse, (ctx, req) =>
    resetEnrolment(ctx, requireText('user_id', req.userId, 63)),
  ),
  revokeToken: rpc(ADMINS, RevokeTokenRequest, RevokeTokenResponse, async (ctx, req) => {
    const tokenId = requireText('token_id', req.tokenId, 32);
    await ctx.deps.db.transaction(async (tx) => {
      if (!(await revokeToken(tx, tokenId, ctx.nowMs)))
        throw new CoreError(CoreErrorCode.NOT_FOUND, `no token ${tokenId}`);
      await appendAudit(tx, {
        atMs: ctx.nowMs,
        actor: ctx.principal.userId,
        action: 'token.revoked',
        subject: `token:${tokenId}`,
        details: {},
      });
    });
    ctx.deps.authenticator.forget(tokenId);
    return {};
  }),
  registerDevice: rpc(ADMINS, RegisterDeviceRequest, RegisterDeviceResponse, async (ctx, req) => {
    await assertKnownSite(ctx.deps.db, ctx.deps.config.transport?.sites ?? [], req.siteId);
    const device = await ctx.deps.db.transaction(async (tx) => {
      const registered = await registerDevice(tx, req, ctx.principal.userId, ctx.nowMs);
      await appendAudit(tx, {
        atMs: ctx.nowMs,
        actor: ctx.principal.userId,
        action: 'device.registered',
        subject: `device:${registered.deviceId}`,
        details: { siteId: registered.siteId, keyId: registered.keyId },
      });
      return registered;
    });
    ctx.deps.devices.forget(device.deviceId);
    const releasedEvents = await releaseQuarantined(ctx.deps.db, device, ctx.principal.userId, ctx.nowMs);
    return { device: toDeviceMessage(device), releasedEvents };
  }),
  listDevices: rpc(ADMINS, ListDevicesRequest, ListDevicesResponse, async (ctx) => ({
    devices: (await listDevices(ctx.deps.db)).map(toDeviceMessage),
  })),
  whoAmI: rpc(ANY_ROLE, WhoAmIRequest, WhoAmIResponse, async (ctx) => {
    const user = await findUser(ctx.deps.db, ctx.principal.userId);
    if (!user) throw new CoreError(CoreErrorCode.NOT_FOUND, `no user ${ctx.principal.userId}`);
    return { user: toUserMessage(user) };
  }),
  ...revocationMethods(toUserMessage),
});
