import { appendAudit } from '../audit/audit-repo.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { CoreMetrics } from '../metrics.js';

export interface Denial {
  /** The authenticated user, or "anonymous" when no valid token came with the call. */
  readonly actor: string;
  /** The RPC path, e.g. "/zebra.v1.ReviewService/ApproveEvent". */
  readonly method: string;
  readonly code: string;
  readonly reason: string;
  readonly via: 'grpc' | 'http';
  readonly peer: string;
}

/**
 * Appends an `auth.denied` entry for a refused call, counts it and logs it. Never throws: a
 * failure to audit is logged as an error and the refusal stands.
 */
export async function recordDenial(
  db: Database,
  denial: Denial,
  nowMs: number,
  metrics: CoreMetrics,
  logger: Logger,
): Promise<void> {
  metrics.apiDenials.inc({ method: denial.method, code: denial.code });
  logger.warn({ denial }, 'call refused');
  await db
    .transaction((tx) =>
      appendAudit(tx, {
        atMs: nowMs,
        actor: denial.actor,
        action: 'auth.denied',
        subject: denial.method,
        details: { code: denial.code, reason: denial.reason, via: denial.via, peer: denial.peer },
      }),
    )
    .catch((err: unknown) => logger.error({ err, denial }, 'could not audit a refused call'));
}
