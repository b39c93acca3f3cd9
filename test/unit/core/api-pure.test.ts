import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerToken, mintToken, parseToken, sameSecret } from '../../../core/auth/tokens.js';
import { mixKnownAnswers } from '../../../core/review/known-answers.js';
import type { QueueRow } from '../../../core/review/queue-repo.js';
import { EvidenceTickets } from '../../../core/evidence/tickets.js';
import { devicePermissions, renderNatsAuthorization } from '../../../proto/index.js';
import { generateKeyPairSync } from 'node:crypto';

const row = (itemId: string): QueueRow => ({
  itemId,
  siteId: 's',
  cameraId: 'c',
  occurredAtMs: 1,
  confidence: 0.5,
  state: 'queued',
  version: 1,
});

describe('bearer tokens', () => {
  it('parse back to the id and secret hash they were minted with, and nothing else parses', () => {
    const minted = mintToken();
    const parsed = parseToken(minted.token)!;
    expect(parsed.tokenId).toBe(minted.tokenId);
    expect(sameSecret(parsed.secretSha256, minted.secretSha256)).toBe(true);
    expect(sameSecret(parseToken(mintToken().token)!.secretSha256, minted.secretSha256)).toBe(false);
    for (const bad of ['', 'zbt.', minted.token.slice(0, -1), `${minted.token}x`, minted.token.replace('zbt', 'abc')])
      expect(parseToken(bad)).toBeUndefined();
  });

  it('reads the token from an authorization header only in the Bearer form', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('known-answer mixing', () => {
  it('keeps every real item in order and adds every known-answer item once', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uuid(), { maxLength: 30 }),
        fc.uniqueArray(fc.uuid(), { maxLength: 3 }),
        (real, known) => {
          const knownOnly = known.filter((k) => !real.includes(k));
          const mixed = mixKnownAnswers(real.map(row), knownOnly.map(row)).map((r) => r.itemId);
          expect(mixed.filter((id) => real.includes(id))).toEqual(real);
          expect(mixed.filter((id) => knownOnly.includes(id)).sort()).toEqual([...knownOnly].sort());
          expect(mixed).toHaveLength(real.length + knownOnly.length);
        },
      ),
    );
  });
});

describe('evidence tickets', () => {
  const tickets = new EvidenceTickets(generateKeyPairSync('ed25519').privateKey);
  const ticket = {
    eventId: 'c',
    objectKey: 'a/b/c.jpg',
    sha256Hex: 'ab'.repeat(32),
    mediaType: 'image/jpeg',
    userId: 'rita',
    purpose: 'review',
    expiresAtMs: 2000,
  };

  it('round-trips before expiry, and refuses expired, edited or foreign tickets', () => {
    const text = tickets.issue(ticket);
    expect(tickets.check(text, 1999)).toEqual({ ...ticket, ticketId: text.split('.')[1] });
    // Each issue is a distinct ticket (fetches are audited once per ticket).
    expect(tickets.issue(ticket)).not.toBe(text);
    expect(tickets.check(text, 2000)).toBeUndefined();
    const [body, mac] = text.split('.');
    const edited = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), k: 'x' }),
    ).toString('base64url');
    expect(tickets.check(`${edited}.${mac}`, 1000)).toBeUndefined();
    const other = new EvidenceTickets(generateKeyPairSync('ed25519').privateKey);
    expect(other.check(text, 1000)).toBeUndefined();
    expect(tickets.check('garbage', 1000)).toBeUndefined();
  });
});

describe('device NATS permissions', () => {
  it('allow only the device’s own event and tally subjects and no administration', () => {
    const { publish, subscribe } = devicePermissions('site-1', 'dev-1');
    expect(publish.allow.filter((s) => s.startsWith('zebra.'))).toEqual([
      'zebra.v1.events.site-1.dev-1.>',
      'zebra.v1.tallies.site-1.dev-1.>',
    ]);
    expect(publish.allow.some((s) => /CREATE|DELETE|UPDATE|PURGE|\$JS\.API\.>/.test(s))).toBe(false);
    expect(subscribe.allow).toEqual(['_INBOX_dev-1.>', 'zebra.v1.signal.site-1.*']);
  });

  it('render to an authorization block with every value quoted', () => {
    const text = renderNatsAuthorization([
      { user: 'core', password: 'p"w' },
      { user: 'dev-1', password: 'x', permissions: devicePermissions('site-1', 'dev-1') },
    ]);
    expect(text).toContain('{ user: "core", password: "p\\"w" }');
    expect(text).toContain('"zebra.v1.events.site-1.dev-1.>"');
  });
});
