import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** What a ticket lets its holder fetch, and until when. */
export interface EvidenceTicket {
  readonly objectKey: string;
  /** The SHA-256 the device signed for this object; the bytes served must match it. */
  readonly sha256Hex: string;
  readonly mediaType: string;
  readonly userId: string;
  readonly expiresAtMs: number;
}

/**
 * Short-lived, unforgeable links to evidence objects. OpenEvidence (audited) issues them; the
 * HTTP listener serves an object only for a valid, unexpired ticket. The MAC key is derived
 * from the audit signing key, so every core replica with that key accepts the same tickets.
 */
export class EvidenceTickets {
  readonly #macKey: Buffer;

  constructor(secret: KeyObject) {
    const material = secret.export({ type: 'pkcs8', format: 'der' });
    this.#macKey = Buffer.from(hkdfSync('sha256', material, 'zebra', 'evidence-ticket/v1', 32));
  }

  issue(ticket: EvidenceTicket): string {
    const body = Buffer.from(
      JSON.stringify({
        k: ticket.objectKey,
        h: ticket.sha256Hex,
        m: ticket.mediaType,
        u: ticket.userId,
        e: ticket.expiresAtMs,
      }),
    ).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The ticket's contents, or undefined when it is forged, malformed or expired. */
  check(text: string, nowMs: number): EvidenceTicket | undefined {
    const [body, mac, extra] = text.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      const ticket = { objectKey: raw.k, sha256Hex: raw.h, mediaType: raw.m, userId: raw.u, expiresAtMs: raw.e };
      if (
        typeof ticket.objectKey !== 'string' ||
        typeof ticket.sha256Hex !== 'string' ||
        typeof ticket.mediaType !== 'string' ||
        typeof ticket.userId !== 'string' ||
        typeof ticket.expiresAtMs !== 'number'
      )
        return undefined;
      return ticket.expiresAtMs > nowMs ? (ticket as EvidenceTicket) : undefined;
    } catch {
      return undefined;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#macKey).update(body).digest('base64url');
  }
}
