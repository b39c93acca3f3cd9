import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bearer token is `zbt.<tokenId>.<secret>`; the database keeps only SHA-256(secret). */
const TOKEN_PATTERN = /^zbt\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export interface MintedToken {
  readonly token: string;
  readonly tokenId: string;
  readonly secretSha256: Buffer;
}

export function mintToken(): MintedToken {
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `zbt.${tokenId}.${secret}`, tokenId, secretSha256: sha256(secret) };
}

/** The token id and the secret's hash, or undefined when the text is not a token at all. */
export function parseToken(text: string): { tokenId: string; secretSha256: Buffer } | undefined {
  const match = TOKEN_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return { tokenId: match[1]!, secretSha256: sha256(match[2]!) };
}

/** Constant-time comparison of two secret hashes. */
export function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token from an `authorization: Bearer …` header value, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
