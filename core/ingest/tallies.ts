import { CandidateTally, isSubjectToken, tallySigningBytes } from '../../proto/index.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Queryable } from '../db/database.js';
import { checkTallyHour } from './event-bounds.js';
import type { ReceiveBounds, RejectionCode } from './validate.js';

/** Matches the tally subjects, `zebra.v1.tallies.<site>.<device>.<camera>`. */
export function isTallySubject(subject: string): boolean {
  return subject.startsWith('zebra.v1.tallies.');
}

export type TallyValidation =
  | { readonly ok: true; readonly tally: CandidateTally; readonly signingBytes: Uint8Array }
  | { readonly ok: false; readonly code: RejectionCode; readonly reason: string };

const HOUR_MS = 3_600_000;
const REASON = /^[a-z_]{1,64}$/;

/** Decodes and checks one tally message. Pure. With `receive`, the hour must lie near the receive time. */
export function validateTallyMessage(subject: string, data: Uint8Array, receive?: ReceiveBounds): TallyValidation {
  let tally: CandidateTally;
  try {
    tally = CandidateTally.decode(data);
  } catch (err) {
    return {
      ok: false,
      code: 'undecodable',
      reason: `not a CandidateTally: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  for (const [name, value] of [
    ['device_id', tally.deviceId],
    ['site_id', tally.siteId],
    ['camera_id', tally.cameraId],
  ] as const) {
    if (!isSubjectToken(value))
      return { ok: false, code: 'invalid_field', reason: `${name} "${value.slice(0, 80)}" is not a valid id` };
  }
  if (!(tally.hourStartMs > 0) || tally.hourStartMs % HOUR_MS !== 0)
    return { ok: false, code: 'invalid_field', reason: 'hour_start_ms must be the start of an hour' };
  const outOfBounds = receive && checkTallyHour(tally.hourStartMs, receive.nowMs, receive.bounds);
  if (outOfBounds) return { ok: false, code: 'out_of_bounds', reason: outOfBounds };
  if (tally.counts.length > 1_000) return { ok: false, code: 'invalid_field', reason: 'more than 1000 reason counts' };
  if (tally.counts.some((c) => !REASON.test(c.reasonCode)))
    return { ok: false, code: 'invalid_field', reason: 'a reason code is not lower_snake_case' };
  const expected = `zebra.v1.tallies.${tally.siteId}.${tally.deviceId}.${tally.cameraId}`;
  if (subject !== expected)
    return { ok: false, code: 'subject_mismatch', reason: `published on ${subject}, but the tally says ${expected}` };
  return { ok: true, tally, signingBytes: tallySigningBytes(tally) };
}

/**
 * Stores a verified tally. Each message holds the hour's full counts so far, so a count only
 * ever grows: a redelivery or an older message arriving late changes nothing. Audited.
 */
export async function storeTally(tx: Queryable, tally: CandidateTally, streamSeq: number): Promise<number> {
  let changed = 0;
  for (const { reasonCode, count } of tally.counts) {
    const result = await tx.query(
      `INSERT INTO machine_rejections (site_id, camera_id, reason_code, hour_start, count)
       VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000), $5)
       ON CONFLICT (site_id, camera_id, reason_code, hour_start)
       DO UPDATE SET count = EXCLUDED.count WHERE machine_rejections.count < EXCLUDED.count`,
      [tally.siteId, tally.cameraId, reasonCode, tally.hourStartMs, count],
    );
    changed += result.rowCount ?? 0;
  }
  if (changed > 0) {
    await appendAudit(tx, {
      atMs: Date.now(),
      actor: `device:${tally.deviceId}`,
      action: 'candidates.tallied',
      subject: `${tally.siteId}/${tally.cameraId}`,
      details: {
        hourStartMs: tally.hourStartMs,
        streamSeq,
        counts: Object.fromEntries(tally.counts.map((c) => [c.reasonCode, c.count])),
      },
    });
  }
  return changed;
}
