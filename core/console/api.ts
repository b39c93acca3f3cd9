/// <reference lib="dom" />
/** The JSON gateway: POST /api/v1/zebra.v1.<Service>/<Method> with the signed-in token. */
import { roleNameOf } from '../../proto/roles.js';
import type { RoleName } from '../../proto/roles.js';

const TOKEN_KEY = 'zebra-token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function storeToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Calls one method; throws ApiError with the server's message on any refusal. */
export async function api<T = Record<string, unknown>>(method: string, body: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`/api/v1/zebra.v1.${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${storedToken()}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { code?: string; error?: string };
  if (!res.ok) throw new ApiError(res.status, json.code ?? 'ERROR', json.error ?? `HTTP ${res.status}`);
  return json as T;
}

/** A generated message's proto3 JSON codec (ts-proto's fromJSON / toJSON in proto/gen). */
export interface JsonCodec<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
}

/**
 * Calls one method with a generated request message and reads the answer with the generated
 * response codec: enums arrive as the proto's enum values, 64-bit times as numbers, missing
 * fields as their defaults. The wire shapes are the contract's, never declared here.
 */
export async function call<Req, Res>(
  method: string,
  request: JsonCodec<Req>,
  response: JsonCodec<Res>,
  message: Req,
): Promise<Res> {
  const json = await api(method, request.toJSON(message) as Record<string, unknown>);
  return response.fromJSON(json);
}

/**
 * Calls a server-streaming method: the gateway answers NDJSON as it is produced. Returns the
 * body's reader; throws ApiError when the call is refused before the stream begins.
 */
export async function apiStream(
  method: string,
  body: Record<string, unknown> = {},
): Promise<ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>> {
  const res = await fetch(`/api/v1/zebra.v1.${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${storedToken()}` },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  if (!res.ok || !res.body) {
    const json = (await res.json().catch(() => ({}))) as { code?: string; error?: string };
    throw new ApiError(res.status, json.code ?? 'ERROR', json.error ?? `HTTP ${res.status}`);
  }
  return res.body.getReader();
}

/**
 * Fetches one evidence object with the signed-in token (a link is served only to the user who
 * opened it) and returns a blob: URL for an <img> or <video>. The whole object is in memory, so
 * a video seeks without asking the server again. Revoke the URL when the view goes away.
 */
export async function evidenceObjectUrl(url: string): Promise<string> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${storedToken()}` }, cache: 'no-store' });
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(res.status, 'EVIDENCE', json.error ?? `HTTP ${res.status}`);
  }
  return URL.createObjectURL(await res.blob());
}

export interface User {
  userId: string;
  displayName: string;
  roles: string[];
}

/** The user's roles by name (proto/roles.ts, shared with core and CLI); a role this build does not know is dropped. */
export function rolesOf(user: User): RoleName[] {
  return user.roles.map(roleNameOf).filter((r) => r !== undefined);
}
