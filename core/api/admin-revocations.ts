import {
  DisableUserRequest,
  DisableUserResponse,
  ListTokensRequest,
  ListTokensResponse,
  RevokeDeviceRequest,
  RevokeDeviceResponse,
} from '../../proto/index.js';
import type { Device } from '../../proto/index.js';
import { appendAudit } from '../audit/audit-repo.js';
import { revokeTokensOf } from '../auth/enrolment.js';
import { disableUser, findUser, listTokens } from '../auth/users-repo.js';
import type { UserRecord } from '../auth/users-repo.js';
import { revokeDevice } from '../devices/devices-repo.js';
import type { DeviceRecord } from '../devices/devices-repo.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { optionalText, pageSize, requireText } from './args.js';
import { ANY_ROLE, rpc } from './method.js';
import type { MethodSpec } from './method.js';

const ADMINS = ['admin'] as const;
const DEFAULT_TOKENS = 100;
const MAX_TOKENS = 1000;

/** A device as the API shows it. */
export function toDeviceMessage(device: DeviceRecord): Device {
  return {
    deviceId: device.deviceId,
    siteId: device.siteId,
    keyId: device.keyId,
    registeredAtMs: device.registeredAtMs,
    registeredBy: device.registeredBy,
    revokedAtMs: device.revokedAtMs,
  };
}

/**
 * ListTokens, DisableUser and RevokeDevice: the AdminService methods that list or take back
 * credentials. `toUser` is the service's user mapping (roles as enums).
 */
export function revocationMethods(
  toUser: (user: UserRecord) => DisableUserResponse['user'],
): Record<'listTokens' | 'disableUser' | 'revokeDevice', MethodSpec> {
  return {
    listTokens: rpc(ANY_ROLE, ListTokensRequest, ListTokensResponse, async (ctx, req) => {
      const self = ctx.principal.userId;
      const userId = optionalText('user_id', req.userId, 63) || self;
      if (userId !== self && !ctx.principal.roles.includes('admin'))
        throw new CoreError(
          CoreErrorCode.PERMISSION_DENIED,
          `only an admin lists another user's tokens: ${self} may list only their own`,
        );
      const limit = pageSize(req.limit, DEFAULT_TOKENS, MAX_TOKENS, 'limit');
      if (userId !== self && !(await findUser(ctx.deps.db, userId)))
        throw new CoreError(CoreErrorCode.NOT_FOUND, `no user ${userId}`);
      return { tokens: await listTokens(ctx.deps.db, userId, limit) };
    }),
    disableUser: rpc(ADMINS, DisableUserRequest, DisableUserResponse, async (ctx, req) => {
      const userId = requireText('user_id', req.userId, 63);
      if (userId === ctx.principal.userId)
        throw new CoreError(
          CoreErrorCode.INVALID_ARGUMENT,
          'an admin may not disable themselves: ask another admin (so an account is never locked by accident)',
        );
      const result = await ctx.deps.db.transaction(async (tx) => {
        const user = await disableUser(tx, userId);
        if (!user) throw new CoreError(CoreErrorCode.NOT_FOUND, `no user ${userId}`);
        const revoked = await revokeTokensOf(tx, userId, ctx.nowMs);
        await appendAudit(tx, {
          atMs: ctx.nowMs,
          actor: ctx.principal.userId,
          action: 'user.disabled',
          subject: `user:${userId}`,
          details: { revokedTokens: revoked },
        });
        return { user, revoked };
      });
      for (const tokenId of result.revoked) ctx.deps.authenticator.forget(tokenId);
      ctx.deps.authenticator.forgetUser(userId);
      return { user: toUser(result.user), revokedTokenIds: result.revoked };
    }),
    revokeDevice: rpc(ADMINS, RevokeDeviceRequest, RevokeDeviceResponse, async (ctx, req) => {
      const deviceId = requireText('device_id', req.deviceId, 64);
      const device = await ctx.deps.db.transaction(async (tx) => {
        const revoked = await revokeDevice(tx, deviceId, ctx.nowMs);
        if (!revoked) throw new CoreError(CoreErrorCode.NOT_FOUND, `no device ${deviceId}`);
        await appendAudit(tx, {
          atMs: ctx.nowMs,
          actor: ctx.principal.userId,
          action: 'device.revoked',
          subject: `device:${deviceId}`,
          details: { siteId: revoked.siteId, keyId: revoked.keyId, revokedAtMs: revoked.revokedAtMs },
        });
        return revoked;
      });
      // Ingest on this replica sees it at once; other replicas within the cache's ttl.
      ctx.deps.devices.forget(deviceId);
      return { device: toDeviceMessage(device) };
    }),
  };
}
