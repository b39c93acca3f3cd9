import {
  AdminServiceService,
  DisableUserRequest,
  ListTokensRequest,
  ListTokensResponse,
  RevokeDeviceRequest,
} from '../proto/index.js';
import type { ListOpts } from './admin-lists.js';
import { withApi } from './command-kit.js';
import type { ApiOpts } from './command-kit.js';
import { formatTable, tableTime } from './output.js';

/** The tokens table: never a secret (the API has none to give). */
export function formatTokens(response: ListTokensResponse, nowMs = Date.now()): string {
  if (response.tokens.length === 0) return 'No tokens.\n';
  const state = (t: ListTokensResponse['tokens'][number]): string => {
    if (t.revokedAtMs > 0) return `revoked ${tableTime(t.revokedAtMs)}`;
    return t.expiresAtMs <= nowMs ? 'expired' : 'active';
  };
  const rows = response.tokens.map((t) => [
    t.tokenId,
    t.userId,
    t.label,
    tableTime(t.createdAtMs),
    tableTime(t.expiresAtMs),
    state(t),
  ]);
  return formatTable(['TOKEN', 'USER', 'LABEL', 'CREATED (UTC)', 'EXPIRES (UTC)', 'STATE'], rows);
}

/** `zebra tokens list [--user USER] [--limit N] [--json]`: your own tokens, or (admin) anyone's. */
export async function tokensList(values: ListOpts & { user?: string; limit?: number }): Promise<number> {
  const request = ListTokensRequest.fromPartial({ userId: values.user ?? '', limit: values.limit ?? 0 });
  const response = await withApi(values, (c) => c.unary(AdminServiceService.listTokens, request));
  process.stdout.write(
    values.json ? `${JSON.stringify(ListTokensResponse.toJSON(response), null, 2)}\n` : formatTokens(response),
  );
  return 0;
}

/** `zebra users disable USER` (admin): their tokens stop working at once; audited. */
export async function usersDisable(values: ApiOpts, [userId]: string[]): Promise<number> {
  const response = await withApi(values, (c) =>
    c.unary(AdminServiceService.disableUser, DisableUserRequest.fromPartial({ userId })),
  );
  const n = response.revokedTokenIds.length;
  process.stdout.write(`user ${userId} disabled; ${n} token${n === 1 ? '' : 's'} revoked\n`);
  return 0;
}

/** `zebra devices revoke DEVICE` (admin): what it signs is quarantined from now on; audited. */
export async function devicesRevoke(values: ApiOpts, [deviceId]: string[]): Promise<number> {
  const response = await withApi(values, (c) =>
    c.unary(AdminServiceService.revokeDevice, RevokeDeviceRequest.fromPartial({ deviceId })),
  );
  const at = new Date(response.device?.revokedAtMs ?? 0).toISOString();
  process.stdout.write(
    `device ${deviceId} revoked at ${at}; its events are quarantined until it is registered again with a new key\n`,
  );
  return 0;
}
