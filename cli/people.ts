import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AdminServiceService,
  CreateUserRequest,
  EnrolRequest,
  EnrolmentServiceService,
  IssueTokenRequest,
  ResetEnrolmentRequest,
  roleOf,
} from '../proto/index.js';
import type { RoleName } from '../proto/index.js';
import { ApiClient } from './api-client.js';
import type { ClientTls } from './client-tls.js';
import { clientTls, withApi } from './command-kit.js';
import type { ApiOpts } from './command-kit.js';

const DAY_MS = 86_400_000;
/** The longest token the core issues (it refuses more than a year). */
export const MAX_TOKEN_DAYS = 366;

interface Enrolment {
  enrolmentCode: string;
  enrolmentExpiresAtMs: number;
}

function printCode(userId: string, enrolment: Enrolment): void {
  process.stdout.write(`${enrolment.enrolmentCode}\n`);
  process.stderr.write(
    `one-time enrolment code for ${userId}, valid until ${new Date(enrolment.enrolmentExpiresAtMs).toISOString()}. ` +
      `Hand it to ${userId} in person or by another channel; they run: zebra users enrol --code CODE -o TOKEN_FILE\n`,
  );
}

export interface UsersAddOpts extends ApiOpts {
  readonly role: RoleName[];
  readonly name?: string;
}

/** `zebra users add USER --role R [--role R] [--name NAME]`, as an admin: prints the enrolment code. */
export async function usersAdd(values: UsersAddOpts, [userId]: string[]): Promise<number> {
  const roles = values.role;
  const created = await withApi(values, (client) =>
    client.unary(
      AdminServiceService.createUser,
      CreateUserRequest.fromPartial({ userId, displayName: values.name ?? userId, roles: roles.map(roleOf) }),
    ),
  );
  process.stderr.write(`user ${userId} added with role ${roles.join(', ')}\n`);
  printCode(userId!, created);
  return 0;
}

/** `zebra users reset USER`, as an admin: revokes the user's tokens and prints a new enrolment code. */
export async function usersReset(values: ApiOpts, [userId]: string[]): Promise<number> {
  const reset = await withApi(values, (client) =>
    client.unary(AdminServiceService.resetEnrolment, ResetEnrolmentRequest.fromPartial({ userId })),
  );
  process.stderr.write(`every token of ${userId} is revoked\n`);
  printCode(userId!, reset);
  return 0;
}

/** Redeems an enrolment code (no token needed); returns the new token. */
export async function enrol(
  server: string,
  tls: ClientTls,
  code: string,
  label: string,
): Promise<{ userId: string; token: string; tokenId: string; expiresAtMs: number }> {
  const client = new ApiClient(server, undefined, tls);
  try {
    return await client.unary(EnrolmentServiceService.enrol, EnrolRequest.fromPartial({ code, label }));
  } finally {
    client.close();
  }
}

async function writeToken(
  issued: { token: string; tokenId: string; expiresAtMs: number },
  userId: string,
  out: string | undefined,
): Promise<void> {
  const expires = new Date(issued.expiresAtMs).toISOString();
  if (out) {
    await writeFile(out, `${issued.token}\n`, { mode: 0o600 });
    process.stderr.write(`token ${issued.tokenId} for ${userId} written to ${out}; expires ${expires}\n`);
  } else {
    process.stdout.write(`${issued.token}\n`);
    process.stderr.write(
      `token ${issued.tokenId} for ${userId}; expires ${expires}. It is shown once: keep it safe.\n`,
    );
  }
}

export interface EnrolOpts extends Omit<ApiOpts, 'tokenFile'> {
  readonly code: string;
  readonly label: string;
  readonly out?: string;
}

/** `zebra users enrol --code CODE [--label TEXT] [-o FILE]`: your own token, from the code an admin gave you. */
export async function usersEnrol(values: EnrolOpts): Promise<number> {
  const issued = await enrol(values.server, await clientTls(values), values.code, values.label);
  await writeToken(issued, issued.userId, values.out);
  return 0;
}

export interface TokensIssueOpts extends ApiOpts {
  readonly days?: number;
  readonly label?: string;
  readonly out?: string;
}

/** `zebra tokens issue [USER] [--days N] [--label TEXT] [-o FILE]`: a new token for your own account. */
export async function tokensIssue(values: TokensIssueOpts, [userId]: string[]): Promise<number> {
  const issued = await withApi(values, (client) =>
    client.unary(
      AdminServiceService.issueToken,
      IssueTokenRequest.fromPartial({
        // Only ever the caller's own account; a name here must be the caller's.
        userId: userId ?? '',
        // No --days: the core's configured default.
        ttlMs: values.days === undefined ? 0 : values.days * DAY_MS,
        label: values.label ?? '',
      }),
    ),
  );
  await writeToken(issued, userId ?? 'you', values.out);
  return 0;
}

/** The demo's people: one of each role, plus a second supervisor for appeals. */
export const DEMO_PEOPLE: readonly { userId: string; name: string; roles: readonly RoleName[] }[] = [
  { userId: 'rita', name: 'Rita Reviewer', roles: ['reviewer'] },
  { userId: 'sam', name: 'Sam Supervisor', roles: ['supervisor'] },
  { userId: 'sue', name: 'Sue Supervisor', roles: ['supervisor'] },
  { userId: 'ada', name: 'Ada Auditor', roles: ['auditor'] },
];

/**
 * Creates the demo people as the admin and enrols each with their one-time code, as each
 * person would; writes each one's token to `dir/<user>` and returns the paths. (In the demo
 * one admin creates both deciders, so its deductions carry the same_admin audit flag.)
 */
export async function createDemoPeople(
  server: string,
  adminToken: string,
  tls: ClientTls,
  dir: string,
): Promise<Map<string, string>> {
  const client = new ApiClient(server, adminToken, tls);
  const files = new Map<string, string>();
  await mkdir(dir, { recursive: true });
  try {
    for (const person of DEMO_PEOPLE) {
      const { enrolmentCode } = await client.unary(
        AdminServiceService.createUser,
        CreateUserRequest.fromPartial({
          userId: person.userId,
          displayName: person.name,
          roles: person.roles.map(roleOf),
        }),
      );
      const { token } = await enrol(server, tls, enrolmentCode, 'demo');
      const file = join(dir, person.userId);
      await writeFile(file, `${token}\n`, { mode: 0o600 });
      files.set(person.userId, file);
    }
  } finally {
    client.close();
  }
  return files;
}
