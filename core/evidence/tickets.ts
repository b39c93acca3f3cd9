import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** What a ticket lets its holder fetch, and until when. */
export interface EvidenceTicket {
  /** The event the object belongs to: the subject of the audit entry of each fetch. */
  readonly eventId: string;
  readonly objectKey: string;
  /** The SHA-256 the device signed for this object; the bytes served must match it. */
  readonly sha256Hex: string;
  readonly mediaType: string;
  /** The only user who may fetch with this ticket (the fetch must carry their token). */
  readonly userId: string;
  /** Why the user opened the evidence (OpenEvidence's purpose), for the audit entry. */
  readonly purpose: string;
  readonly expiresAtMs: number;
}

/** A checked ticket, with an id that is the same for every fetch made with it. */
export type CheckedTicket = EvidenceTicket & { readonly ticketId: string };

/**
 * Short-lived, unforgeable links to evidence objects, bound to the user who opened them.
 * OpenEvidence (audited) issues them; the HTTP listener serves an object only for a valid,
 * unexpired ticket presented with its user's own bearer token. The MAC key is derived
 * from the audit signing key, so every core replica with that key accepts the same tickets.
 */
export class EvidenceTickets {
  readonly #macKey: Buffer;

  constructor(secret: KeyObject) {
    const material = secret.export({ type: 'pkcs8', format: 'der' });
    this.#macKey = Buffer.from(hkdfSync('sha256', material, 'zebra', 'evidence-ticket/v2', 32));
  }

  issue(ticket: EvidenceTicket): string {
    const body = Buffer.from(
      JSON.stringify({
        v: ticket.eventId,
        k: ticket.objectKey,
        h: ticket.sha256Hex,
        m: ticket.mediaType,
        u: ticket.userId,
        p: ticket.purpose,
        e: ticket.expiresAtMs,
        // Each issue is its own ticket: fetches are audited once per ticket.
        n: randomBytes(9).toString('base64url'),
      }),
    ).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The ticket's contents, or undefined when it is forged, malformed or expired. */
  check(text: string, nowMs: number): CheckedTicket | undefined {
    const [body, mac, extra] = text.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      const ticket = {
        eventId: raw.v,
        objectKey: raw.k,
        sha256Hex: raw.h,
        mediaType: raw.m,
        userId: raw.u,
        purpose: raw.p,
        expiresAtMs: raw.e,
        ticketId: mac,
      };
      if (
        typeof ticket.eventId !== 'string' ||
        typeof ticket.purpose !== 'string' ||
        typeof ticket.objectKey !== 'string' ||
        typeof ticket.sha256Hex !== 'string' ||
        typeof ticket.mediaType !== 'string' ||
        typeof ticket.userId !== 'string' ||
        typeof ticket.expiresAtMs !== 'number'
      )
        return undefined;
      return ticket.expiresAtMs > nowMs ? (ticket as CheckedTicket) : undefined;
    } catch {
      return undefined;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#macKey).update(body).digest('base64url');
  }
}
