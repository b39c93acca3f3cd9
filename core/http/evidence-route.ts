import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiDeps } from '../api/method.js';
import { recordDenial } from '../api/denials.js';
import { appendAudit } from '../audit/audit-repo.js';
import { bearerToken } from '../auth/tokens.js';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import { ALLOWED_MEDIA_TYPES_TEXT, allowedMediaType } from '../evidence/media-types.js';
import type { CheckedTicket } from '../evidence/tickets.js';
import { BASE_HEADERS, evidenceHeaders } from './headers.js';

const ROUTE = '/api/evidence';

function refuse(res: ServerResponse, statusCode: number, error: string, extra: Record<string, string> = {}): void {
  res.writeHead(statusCode, {
    ...BASE_HEADERS,
    ...extra,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify({ error }));
}

/**
 * Which tickets have had a fetch audited on this replica, until they expire: a video read in
 * byte ranges, or a reload, is one audited read per ticket, not one per request.
 */
export class FetchAudits {
  readonly #audited = new Map<string, { expiresAtMs: number; done: Promise<void> }>();

  /** Runs `audit` on the first fetch of the ticket; later fetches wait for that one's outcome. */
  once(ticket: CheckedTicket, nowMs: number, audit: () => Promise<void>): Promise<void> {
    for (const [id, entry] of this.#audited) if (entry.expiresAtMs <= nowMs) this.#audited.delete(id);
    const known = this.#audited.get(ticket.ticketId);
    if (known) return known.done;
    const done = audit();
    this.#audited.set(ticket.ticketId, { expiresAtMs: ticket.expiresAtMs, done });
    // A failed audit is tried again by the next fetch (and nothing is served meanwhile).
    done.catch(() => this.#audited.delete(ticket.ticketId));
    return done;
  }
}

/**
 * Serves one evidence object for a ticket from OpenEvidence, only to the ticket's own user (the
 * request must carry that user's bearer token), only as an allowlisted media type, only bytes
 * that match the hash the device signed, and only after an `evidence.fetched` audit entry.
 */
export async function serveEvidence(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ApiDeps,
  audits: FetchAudits,
  ticketText: string,
): Promise<void> {
  const nowMs = Date.now();
  const peer = `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`;
  const deny = async (actor: string, code: CoreErrorCode, reason: string): Promise<void> =>
    recordDenial(deps.db, { actor, method: ROUTE, code, reason, via: 'http', peer }, nowMs, deps.metrics, deps.logger);
  let userId: string;
  try {
    userId = (await deps.authenticator.authenticate(bearerToken(req.headers.authorization), nowMs)).userId;
  } catch (err) {
    if (!(err instanceof CoreError) || err.code !== CoreErrorCode.UNAUTHENTICATED) throw err;
    await deny('anonymous', err.code, err.message);
    return refuse(res, 401, `evidence is shown only with your token: ${errorMessage(err)}`, {
      'www-authenticate': 'Bearer',
    });
  }
  const ticket = deps.tickets.check(ticketText, nowMs);
  if (!ticket) return refuse(res, 403, 'this evidence link is invalid or has expired; open the evidence again');
  if (ticket.userId !== userId) {
    await deny(userId, CoreErrorCode.PERMISSION_DENIED, `evidence link of ${ticket.userId} presented by ${userId}`);
    return refuse(res, 403, 'this evidence link was issued to someone else; open the evidence yourself');
  }
  const mediaType = allowedMediaType(ticket.mediaType);
  if (!mediaType) {
    deps.logger.warn({ objectKey: ticket.objectKey, mediaType: ticket.mediaType }, 'evidence of a refused media type');
    return refuse(
      res,
      415,
      `the evidence names media type "${ticket.mediaType.slice(0, 80)}"; only ${ALLOWED_MEDIA_TYPES_TEXT} are shown`,
    );
  }
  if (!deps.evidence) throw new CoreError(CoreErrorCode.NATS_UNAVAILABLE, 'the evidence store is not connected');
  const bytes = await deps.evidence.getBlob(ticket.objectKey);
  if (!bytes) return refuse(res, 404, 'the evidence object is not in the store');
  const sha256Hex = createHash('sha256').update(bytes).digest('hex');
  if (sha256Hex !== ticket.sha256Hex) {
    // Never show bytes the device did not sign: the object was replaced or corrupted in the store.
    deps.metrics.evidenceIntegrityFailures.inc();
    deps.logger.error(
      { objectKey: ticket.objectKey, expected: ticket.sha256Hex, actual: sha256Hex },
      'evidence object does not match the signed hash; refused',
    );
    return refuse(res, 409, 'the stored evidence does not match the hash the device signed; it is not shown');
  }
  await audits.once(ticket, nowMs, () =>
    deps.db.transaction(async (tx) => {
      await appendAudit(tx, {
        atMs: nowMs,
        actor: userId,
        action: 'evidence.fetched',
        subject: ticket.eventId,
        details: { objectKey: ticket.objectKey, mediaType, purpose: ticket.purpose, via: 'http' },
      });
    }),
  );
  res.writeHead(200, evidenceHeaders(ticket.objectKey, mediaType, bytes.length));
  res.end(bytes);
}
