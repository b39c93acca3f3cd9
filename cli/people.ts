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

/** `zebra users add USER --role R [--role R] [--name NAME]`, as an admin. */
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
  try {
    await client.call('/zebra.v1.AdminService/CreateUser', {
      userId,
      displayName: values.name ?? userId,
      roles: roles.map((r) => `ROLE_${r.toUpperCase()}`),
    });
  } finally {
    client.close();
  }
  process.stdout.write(
    `user ${userId} added with role ${roles.join(', ')}; issue a token: zebra tokens issue ${userId}\n`,
  );
  return 0;
}

/** `zebra tokens issue USER [--days N] [--label TEXT] [-o FILE]`, as an admin. */
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
  const userId = positionals[0];
  if (!userId) throw new Error('usage: zebra tokens issue USER [--days N] [--label TEXT] [-o FILE]');
  const days = values.days === undefined ? 0 : Number(values.days);
  if (!(days >= 0) || !Number.isFinite(days)) throw new Error('--days must be a positive number');
  const tls = await resolveClientTls(values, process.env);
  const client = new ApiClient(grpcServer(values.server), await resolveToken(values['token-file'], process.env), tls);
  let issued: { token: string; tokenId: string; expiresAtMs: number };
  try {
    issued = await client.call('/zebra.v1.AdminService/IssueToken', {
      userId,
      ttlMs: Math.round(days * DAY_MS),
      label: values.label ?? '',
    });
  } finally {
    client.close();
  }
  const expires = new Date(issued.expiresAtMs).toISOString();
  if (values.out) {
    await writeFile(values.out, `${issued.token}\n`, { mode: 0o600 });
    process.stderr.write(`token ${issued.tokenId} for ${userId} written to ${values.out}; expires ${expires}\n`);
  } else {
    process.stdout.write(`${issued.token}\n`);
    process.stderr.write(
      `token ${issued.tokenId} for ${userId}; expires ${expires}. It is shown once: keep it safe.\n`,
    );
  }
  return 0;
}

/** The demo's people: one of each role, plus a second supervisor for appeals. */
export const DEMO_PEOPLE: readonly { userId: string; name: string; roles: readonly string[] }[] = [
  { userId: 'rita', name: 'Rita Reviewer', roles: ['reviewer'] },
  { userId: 'sam', name: 'Sam Supervisor', roles: ['supervisor'] },
  { userId: 'sue', name: 'Sue Supervisor', roles: ['supervisor'] },
  { userId: 'ada', name: 'Ada Auditor', roles: ['auditor'] },
];

/** Creates the demo people and writes each one's token to `dir/<user>`; returns the paths. */
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
      await client.call('/zebra.v1.AdminService/CreateUser', {
        userId: person.userId,
        displayName: person.name,
        roles: person.roles.map((r) => `ROLE_${r.toUpperCase()}`),
      });
      const { token } = await client.call<{ token: string }>('/zebra.v1.AdminService/IssueToken', {
        userId: person.userId,
        label: 'demo',
      });
      const file = join(dir, person.userId);
      await writeFile(file, `${token}\n`, { mode: 0o600 });
      files.set(person.userId, file);
    }
  } finally {
    client.close();
  }
  return files;
}
