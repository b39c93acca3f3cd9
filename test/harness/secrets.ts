import { randomBytes } from 'node:crypto';

/**
 * A secret for a nats-server config's `$VARIABLE`, made the way docs/deployment.md says:
 * nats-server reads a value that starts with a digit as a number when it can (`5e7…` as an
 * exponent, `3k…` as a size) and then refuses to start, so the secret starts with a letter.
 * Hex after it: URL-safe, for route and leaf URLs.
 */
export function natsEnvSecret(): string {
  return `z${randomBytes(18).toString('hex')}`;
}
