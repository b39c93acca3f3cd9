import {
  AuditServiceService,
  ExportLogResponse,
  ExportLogRequest,
  GetCheckpointRequest,
  GetCheckpointResponse,
  GetConsistencyProofRequest,
  GetConsistencyProofResponse,
  GetCustodyReportRequest,
  GetCustodyReportResponse,
  GetInclusionProofRequest,
  GetInclusionProofResponse,
  GetTransparencyReportRequest,
  GetTransparencyReportResponse,
  ReportPeriod,
} from '../../proto/index.js';
import { auditLogSize } from '../audit/audit-repo.js';
import type { SignedCheckpoint } from '../audit/checkpoint.js';
import { canonicalEntryBytes } from '../audit/entry.js';
import { buildExtract } from '../audit/extract.js';
import { checkpointNow } from '../audit/signer.js';
import { proveConsistency, proveInclusion } from '../audit/tree-repo.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { transparencyReport } from '../report/transparency.js';
import { readReview } from '../review/review-repo.js';
import { exportLogStream } from './audit-export.js';
import { period, requireUuid } from './args.js';
import { defineService, rpc, streamRpc } from './method.js';
import type { CallContext } from './method.js';

const AUDITORS = ['auditor'] as const;

/**
 * A signed checkpoint over the whole log: signed now if the log grew (after waiting for a
 * replica that is signing at this moment, and only over what it did not cover).
 */
async function currentCheckpoint(ctx: CallContext): Promise<SignedCheckpoint> {
  const cp = await checkpointNow(ctx.deps.db, ctx.deps.signer, ctx.nowMs, { waitForSigner: true });
  if (!cp) throw new CoreError(CoreErrorCode.NOT_FOUND, 'no checkpoint is signed yet (the audit log is empty)');
  return cp;
}

async function checkSize(ctx: CallContext, size: number, name: string): Promise<void> {
  const total = await auditLogSize(ctx.deps.db);
  if (!(Number.isSafeInteger(size) && size > 0 && size <= total))
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${name} must be between 1 and the log size ${total}`);
}

async function custody(ctx: CallContext, req: GetCustodyReportRequest): Promise<GetCustodyReportResponse> {
  const eventId = requireUuid('event_id', req.eventId);
  await readReview(ctx.deps.db, eventId);
  const cp = await currentCheckpoint(ctx);
  const extract = await buildExtract(ctx.deps.db, cp, { subject: eventId });
  return {
    eventId,
    checkpoint: cp,
    steps: extract.entries.map(({ entry, proof }) => ({
      seq: entry.seq,
      atMs: entry.atMs,
      actor: entry.actor,
      action: entry.action,
      canonicalEntry: canonicalEntryBytes(entry),
      inclusionProof: [...proof],
    })),
  };
}

export const auditService = defineService(AuditServiceService, {
  getCheckpoint: rpc(AUDITORS, GetCheckpointRequest, GetCheckpointResponse, async (ctx) => ({
    checkpoint: await currentCheckpoint(ctx),
    publicKeyPem: ctx.deps.signer.publicKeyPem,
  })),
  getInclusionProof: rpc(AUDITORS, GetInclusionProofRequest, GetInclusionProofResponse, async (ctx, req) => {
    await checkSize(ctx, req.treeSize, 'tree_size');
    if (!Number.isSafeInteger(req.leafIndex) || req.leafIndex < 0 || req.leafIndex >= req.treeSize)
      throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'leaf_index must be a whole number below tree_size');
    return proveInclusion(ctx.deps.db, req.leafIndex, req.treeSize);
  }),
  getConsistencyProof: rpc(AUDITORS, GetConsistencyProofRequest, GetConsistencyProofResponse, async (ctx, req) => {
    await checkSize(ctx, req.secondSize, 'second_size');
    if (!Number.isSafeInteger(req.firstSize) || req.firstSize < 0 || req.firstSize > req.secondSize)
      throw new CoreError(
        CoreErrorCode.INVALID_ARGUMENT,
        'first_size must be a whole number, 0 or more, not above second_size',
      );
    return { proof: await proveConsistency(ctx.deps.db, req.firstSize, req.secondSize) };
  }),
  exportLog: streamRpc(AUDITORS, ExportLogRequest, ExportLogResponse, exportLogStream, (chunk) => chunk.lines),
  getCustodyReport: rpc(AUDITORS, GetCustodyReportRequest, GetCustodyReportResponse, custody),
  getTransparencyReport: rpc(
    ['auditor', 'supervisor'],
    GetTransparencyReportRequest,
    GetTransparencyReportResponse,
    async (ctx, req) => {
      const [since, until] = period(req.sinceMs, req.untilMs, ctx.nowMs, 365);
      const unit = req.period === ReportPeriod.REPORT_PERIOD_MONTH ? 'month' : 'day';
      return { rows: await transparencyReport(ctx.deps.db, since, until, unit), generatedAtMs: ctx.nowMs };
    },
  ),
});
