import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiDeps } from '../api/method.js';
import { optionalText, requireUuid } from '../api/args.js';
import { recordDenial } from '../api/denials.js';
import { bearerToken } from '../auth/tokens.js';
import type { RoleName } from '../../proto/index.js';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import { buildEvidencePackage } from '../evidence-package/package.js';

/** GET /api/events/<uuid>/evidence-package.pdf */
export const PACKAGE_ROUTE = /^\/api\/events\/([0-9A-Fa-f-]{36})\/evidence-package\.pdf$/;

/** Who may print a package: the people who answer for a decision, not reviewers. */
const PACKAGE_ROLES: readonly RoleName[] = ['supervisor', 'auditor', 'admin'];

function refuse(res: ServerResponse, statusCode: number, error: string, extra: Record<string, string> = {}): void {
  res.writeHead(statusCode, {
    ...extra,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify({ error }));
}

/**
 * Serves an event's evidence package (PDF) to a supervisor, auditor or admin who says why
 * (header x-zebra-purpose or ?purpose=); the request is an `evidence.packaged` audit entry,
 * which the package's own custody report then carries. Refused before the review is over.
 */
export async function servePackage(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ApiDeps,
  eventIdText: string,
  url: URL,
): Promise<void> {
  const nowMs = Date.now();
  const peer = `${req.socket.remoteAddress ?? 'unknown'}:${req.socket.remotePort ?? 0}`;
  const route = '/api/events/evidence-package';
  const deny = (actor: string, code: CoreErrorCode, reason: string): Promise<void> =>
    recordDenial(deps.db, { actor, method: route, code, reason, via: 'http', peer }, nowMs, deps.metrics, deps.logger);
  let principal;
  try {
    principal = await deps.authenticator.authenticate(bearerToken(req.headers.authorization), nowMs);
  } catch (err) {
    if (!(err instanceof CoreError) || err.code !== CoreErrorCode.UNAUTHENTICATED) throw err;
    await deny('anonymous', err.code, err.message);
    return refuse(res, 401, `the evidence package needs your token: ${errorMessage(err)}`, {
      'www-authenticate': 'Bearer',
    });
  }
  if (!PACKAGE_ROLES.some((role) => principal.roles.includes(role))) {
    await deny(principal.userId, CoreErrorCode.PERMISSION_DENIED, 'evidence package without the role');
    return refuse(res, 403, `an evidence package needs the role ${PACKAGE_ROLES.join(', ')}`);
  }
  const eventId = requireUuid('event id', eventIdText);
  const header = req.headers['x-zebra-purpose'];
  const purpose = optionalText(
    'purpose',
    (typeof header === 'string' ? header : url.searchParams.get('purpose')) ?? '',
    200,
  );
  if (!purpose) return refuse(res, 400, 'say why you print the package (the purpose is recorded in the audit log)');
  const { pdf, fileName } = await buildEvidencePackage(deps, eventId, principal.userId, purpose, nowMs);
  res.writeHead(200, {
    'content-type': 'application/pdf',
    'content-length': pdf.length,
    'content-disposition': `attachment; filename="${fileName}"`,
    'cache-control': 'no-store',
  });
  res.end(pdf);
}
