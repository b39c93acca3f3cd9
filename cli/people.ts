import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from './api-client.js';
import { TLS_OPTIONS, resolveClientTls } from './client-tls.js';
import type { ClientTls } from './client-tls.js';
import { resolveToken } from './events.js';

const ROLES = ['reviewer', 'supervisor', 'auditor', 'admin'] as const;
const DAY_MS = 86_400_000;

function grpcServer(value: string | undefined): string {
  return value ?? process.env.ZEBRA_GRPC_ADDR ?? '127.0.0.1:50051';
}

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

/** `zebra users add USER --role R [--role R] [--name NAME]`, as an admin: prints the enrolment code. */
export async function usersAdd(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      role: { type: 'string', multiple: true },
      name: { type: 'string' },
      server: { type: 'string' },
      'token-file': { type: 'string' },
      ...TLS_OPTIONS,
    },
  });
  const userId = positionals[0];
  const roles = values.role ?? [];
  if (!userId || roles.length === 0)
    throw new Error(`usage: zebra users add USER --role ${ROLES.join('|')} [--role …] [--name "Full Name"]`);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`--role ${unknown[0]} is not one of ${ROLES.join(', ')}`);
  const tls = await resolveClientTls(values, process.env);
  const client = new ApiClient(grpcServer(values.server), await resolveToken(values['token-file'], process.env), tls);
  let created: Enrolment;
  try {
    created = await client.call('/zebra.v1.AdminService/CreateUser', {
      userId,
      displayName: values.name ?? userId,
      roles: roles.map((r) => `ROLE_${r.toUpperCase()}`),
    });
  } finally {
    client.close();
  }
  process.stderr.write(`user ${userId} added with role ${roles.join(', ')}\n`);
  printCode(userId, created);
  return 0;
}

/** `zebra users reset USER`, as an admin: revokes the user's tokens and prints a new enrolment code. */
export async function usersReset(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { server: { type: 'string' }, 'token-file': { type: 'string' }, ...TLS_OPTIONS },
  });
  const userId = positionals[0];
  if (!userId) throw new Error('usage: zebra users reset USER');
  const tls = await resolveClientTls(values, process.env);
  const client = new ApiClient(grpcServer(values.server), await resolveToken(values['token-file'], process.env), tls);
  let reset: Enrolment;
  try {
    reset = await client.call('/zebra.v1.AdminService/ResetEnrolment', { userId });
  } finally {
    client.close();
  }
  process.stderr.write(`every token of ${userId} is revoked\n`);
  printCode(userId, reset);
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
    return await client.call('/zebra.v1.EnrolmentService/Enrol', { code, label });
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

/** `zebra users enrol --code CODE [--label TEXT] [-o FILE]`: your own token, from the code an admin gave you. */
export async function usersEnrol(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      code: { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string', short: 'o' },
      server: { type: 'string' },
      ...TLS_OPTIONS,
    },
  });
  if (!values.code) throw new Error('usage: zebra users enrol --code CODE [--label TEXT] [-o FILE]');
  const issued = await enrol(
    grpcServer(values.server),
    await resolveClientTls(values, process.env),
    values.code,
    values.label ?? 'cli',
  );
  await writeToken(issued, issued.userId, values.out);
  return 0;
}

/** `zebra tokens issue [--days N] [--label TEXT] [-o FILE]`: a new token for your own account. */
export async function tokensIssue(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      days: { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string', short: 'o' },
      server: { type: 'string' },
      'token-file': { type: 'string' },
      ...TLS_OPTIONS,
    },
  });
  if (positionals.length > 1) throw new Error('usage: zebra tokens issue [--days N] [--label TEXT] [-o FILE]');
  const days = values.days === undefined ? 0 : Number(values.days);
  if (!(days >= 0) || !Number.isFinite(days)) throw new Error('--days must be a positive number');
  const tls = await resolveClientTls(values, process.env);
  const client = new ApiClient(grpcServer(values.server), await resolveToken(values['token-file'], process.env), tls);
  let issued: { token: string; tokenId: string; expiresAtMs: number };
  try {
    issued = await client.call('/zebra.v1.AdminService/IssueToken', {
      // Only ever the caller's own account; a name here must be the caller's.
      userId: positionals[0] ?? '',
      ttlMs: Math.round(days * DAY_MS),
      label: values.label ?? '',
    });
  } finally {
    client.close();
  }
  await writeToken(issued, positionals[0] ?? 'you', values.out);
  return 0;
}

/** The demo's people: one of each role, plus a second supervisor for appeals. */
export const DEMO_PEOPLE: readonly { userId: string; name: string; roles: readonly string[] }[] = [
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
      const { enrolmentCode } = await client.call<Enrolment>('/zebra.v1.AdminService/CreateUser', {
        userId: person.userId,
        displayName: person.name,
        roles: person.roles.map((r) => `ROLE_${r.toUpperCase()}`),
      });
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
