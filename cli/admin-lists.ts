import {
  AdminServiceService,
  ListDevicesRequest,
  ListDevicesResponse,
  ListUsersRequest,
  ListUsersResponse,
  RevokeTokenRequest,
  roleNameOf,
} from '../proto/index.js';
import type { Role } from '../proto/index.js';
import { withApi } from './command-kit.js';
import type { ApiOpts } from './command-kit.js';
import { formatTable, tableTime } from './output.js';

/** `--json` on a list command: the API's answer in proto3 JSON instead of a table. */
export interface ListOpts extends ApiOpts {
  readonly json?: boolean;
}

const roleName = (r: Role): string => roleNameOf(r) ?? `unknown role ${r}`;

/** The devices table. */
export function formatDevices(response: ListDevicesResponse): string {
  if (response.devices.length === 0) return 'No devices registered.\n';
  const rows = response.devices.map((d) => [
    d.deviceId,
    d.siteId,
    d.keyId,
    tableTime(d.registeredAtMs),
    d.registeredBy,
    d.revokedAtMs > 0 ? `revoked ${tableTime(d.revokedAtMs)}` : 'active',
  ]);
  return formatTable(['DEVICE', 'SITE', 'KEY', 'REGISTERED (UTC)', 'BY', 'STATE'], rows);
}

/** The users table. */
export function formatUsers(response: ListUsersResponse): string {
  if (response.users.length === 0) return 'No users.\n';
  const rows = response.users.map((u) => [
    u.userId,
    u.displayName,
    u.roles.map(roleName).join(','),
    tableTime(u.createdAtMs),
    u.disabled ? 'disabled' : 'active',
  ]);
  return formatTable(['USER', 'NAME', 'ROLES', 'CREATED (UTC)', 'STATE'], rows);
}

/** `zebra devices list [--json]` (admin). */
export async function devicesList(values: ListOpts): Promise<number> {
  const response = await withApi(values, (c) => c.unary(AdminServiceService.listDevices, ListDevicesRequest.create()));
  process.stdout.write(
    values.json ? `${JSON.stringify(ListDevicesResponse.toJSON(response), null, 2)}\n` : formatDevices(response),
  );
  return 0;
}

/** `zebra users list [--json]` (admin). */
export async function usersList(values: ListOpts): Promise<number> {
  const response = await withApi(values, (c) => c.unary(AdminServiceService.listUsers, ListUsersRequest.create()));
  process.stdout.write(
    values.json ? `${JSON.stringify(ListUsersResponse.toJSON(response), null, 2)}\n` : formatUsers(response),
  );
  return 0;
}

/** `zebra tokens revoke TOKEN_ID` (admin): the token stops working at once; audited. */
export async function tokensRevoke(values: ApiOpts, [tokenId]: string[]): Promise<number> {
  await withApi(values, (c) => c.unary(AdminServiceService.revokeToken, RevokeTokenRequest.fromPartial({ tokenId })));
  process.stdout.write(`token ${tokenId} revoked\n`);
  return 0;
}
