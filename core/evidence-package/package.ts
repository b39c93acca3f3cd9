import { createHash } from 'node:crypto';
import type { ApiDeps } from '../api/method.js';
import { appendAudit } from '../audit/audit-repo.js';
import { checkpointToJson } from '../audit/export-format.js';
import { EXTRACT_FORMAT_V2, extractEntryLine, headerLine, trailerLine } from '../audit/export-lines.js';
import { buildExtract } from '../audit/extract.js';
import { checkpointNow } from '../audit/signer.js';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import { getEvent } from '../events/events-repo.js';
import { readReview } from '../review/review-repo.js';
import type { PackageInput } from './render.js';
import { renderEvidencePackage } from './render.js';

/**
 * States in which the review is over: no blind second review (or appeal) is waiting, so
 * printing the decisions tells no pending reviewer who acted before.
 */
export const PACKAGE_STATES: ReadonlySet<string> = new Set([
  'rejected',
  'approved',
  'closed',
  'upheld',
  'denied',
  'expired',
]);

/** Images shown at most (an event carries four keyframes and a clip). */
const MAX_KEYFRAMES = 8;
/** An event's entries in a package at most: far above what one event gathers. */
const MAX_ENTRIES = 5000;

async function keyframesOf(deps: ApiDeps, refs: PackageInput['event']['evidence']): Promise<PackageInput['keyframes']> {
  const images = refs
    .filter((r) => r.mediaType === 'image/jpeg' || r.mediaType === 'image/png')
    .slice(0, MAX_KEYFRAMES);
  const out: PackageInput['keyframes'][number][] = [];
  for (const ref of images) {
    if (!deps.evidence) {
      out.push({ ref, missing: 'the evidence store is not connected' });
      continue;
    }
    const bytes = await deps.evidence.getBlob(ref.objectKey).catch((err: unknown) => {
      deps.logger.warn({ err: errorMessage(err), objectKey: ref.objectKey }, 'evidence package: object not read');
      return null;
    });
    if (!bytes)
      out.push({ ref, missing: 'the object is no longer stored (purged under the retention rules, or lost)' });
    else if (createHash('sha256').update(bytes).digest('hex') !== ref.sha256Hex)
      out.push({ ref, missing: 'the stored object does not match the hash the device signed, so it is not shown' });
    // A copy in its own ArrayBuffer: pdf-lib reads a JPEG through `.buffer` from offset 0, and
    // a small Buffer is a slice of Node's shared pool.
    else out.push({ ref, bytes: new Uint8Array(bytes) });
  }
  return out;
}

/**
 * Builds one event's evidence package for `actor`: records the request (with its purpose) in
 * the audit log first, signs a checkpoint over it, then renders the PDF with the event, the
 * keyframes as stored, the decisions and the custody report with proofs against that
 * checkpoint (attached as a zebra-audit-extract/v2 file). Refused while the review is not over.
 */
export async function buildEvidencePackage(
  deps: ApiDeps,
  eventId: string,
  actor: string,
  purpose: string,
  nowMs: number,
): Promise<{ pdf: Uint8Array; fileName: string }> {
  const review = await readReview(deps.db, eventId);
  if (!PACKAGE_STATES.has(review.state))
    throw new CoreError(
      CoreErrorCode.REVIEW_INVALID_TRANSITION,
      'an evidence package is made once the review is over (rejected, approved, denied, or an appeal decided)',
    );
  const stored = await getEvent(deps.db, eventId);
  await deps.db.transaction((tx) =>
    appendAudit(tx, { atMs: nowMs, actor, action: 'evidence.packaged', subject: eventId, details: { purpose } }),
  );
  const cp = await checkpointNow(deps.db, deps.signer, nowMs, { waitForSigner: true });
  if (!cp) throw new CoreError(CoreErrorCode.DATA_CORRUPT, 'no checkpoint could be signed');
  const extract = await buildExtract(deps.db, cp, { subject: eventId });
  if (extract.entries.length > MAX_ENTRIES)
    throw new CoreError(
      CoreErrorCode.INVALID_ARGUMENT,
      `the event has ${extract.entries.length} audit entries, over the ${MAX_ENTRIES} a package holds; export them instead`,
    );
  const extractNdjson =
    headerLine({
      format: EXTRACT_FORMAT_V2,
      origin: deps.signer.origin,
      exportedAtMs: nowMs,
      checkpoint: checkpointToJson(cp),
      selection: { eventId },
    }) +
    extract.entries.map(({ entry, proof }) => extractEntryLine(entry, proof)).join('') +
    trailerLine({ entries: extract.entries.length });
  const day = new Date(stored.event.occurredAtMs).toISOString().slice(0, 10);
  const base = `zebra-evidence-${stored.event.cameraId.replace(/[^A-Za-z0-9_-]/g, '_')}-${day}-${eventId.slice(0, 8)}`;
  const pdf = await renderEvidencePackage({
    event: stored.event,
    reviewState: review.state,
    receivedAtMs: stored.receivedAtMs,
    signatureKeyId: stored.signatureKeyId,
    keyframes: await keyframesOf(deps, stored.event.evidence),
    checkpoint: cp,
    entries: extract.entries,
    extractNdjson,
    extractName: `${base}.audit.ndjson`,
    generatedAtMs: nowMs,
    generatedBy: actor,
  });
  return { pdf, fileName: `${base}.pdf` };
}
