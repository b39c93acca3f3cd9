/**
 * The data of bench:scale: `count` events from a city's cameras, and the life of each one in
 * review (about ten audit entries an event), written so that the audit log stays consistent
 * and verifiable. Events are generated from their index (no list of them is kept), so the
 * bench's memory does not grow with the size.
 *
 * Two ways in:
 *  - {@link publishEvents}: signed events published to JetStream, ingested by a running core;
 *  - {@link bulkLoad}: the same events stored with the ingest's own store function
 *    (storeVerifiedEvents: events, reviews, `event.ingested` entries) in large batches.
 * Either way {@link writeLifecycles} then writes each event's review life: the next review
 * record comes from the pure state machine (core/review/machine.ts), the rows are those
 * review-service.ts, review-repo.ts and ledger.ts write, and the audit entries have the
 * details they append, in batches, through {@link appendAuditEntries}.
 */
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { appendAuditMany } from '../../core/audit/audit-repo.js';
import type { NewAuditEntry } from '../../core/audit/audit-repo.js';
import type { AuditValue } from '../../core/audit/entry.js';
import type { Database, Queryable } from '../../core/db/database.js';
import { storeVerifiedEvents } from '../../core/ingest/store.js';
import type { VerifiedEvent } from '../../core/ingest/store.js';
import type { LedgerPolicy } from '../../core/review/ledger.js';
import { transition } from '../../core/review/machine.js';
import type { Actor, ReviewAction, ReviewPolicy, ReviewRecord } from '../../core/review/machine.js';
import { REJECT_REASONS } from '../../core/review/reasons.js';
import { ENTRY_INFRACTION_KIND, InfractionEvent, keyIdOf } from '../../proto/index.js';
import { makeEvent, subjectOf } from '../harness/events.js';
import { createPublicKey } from 'node:crypto';

/** Cameras of the city; every event belongs to one, numbered per camera. */
export const CAMERAS = 50;
/** One camera sequence number in this many is skipped (a lost event), so gaps exist. */
const GAP_EVERY = 5000;
/** Events occur over the last 29 days (ingest refuses events older than 30). */
const SPAN_MS = 29 * 86_400_000;
/** People named by lawful references: a few infractions each. */
const SUBJECTS_PER_EVENT = 0.25;

export type Fate = 'approved' | 'rejected' | 'queued';

/** What becomes of event `i`: 80% approved after two reviews, 12% rejected, 8% left in the queue. */
export function fateOf(i: number): Fate {
  const r = i % 25;
  return r < 20 ? 'approved' : r < 23 ? 'rejected' : 'queued';
}

/** A stable UUID (v4 layout) for event `i` of a run, so ids need not be kept. */
export function eventIdOf(runSeed: string, i: number): string {
  const h = createHash('sha256').update(`${runSeed}:${i}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export function subjectRefOf(i: number, count: number): string {
  return `P-${(i * 7919) % Math.max(1, Math.round(count * SUBJECTS_PER_EVENT))}`;
}

/** The signed event `i` of `count`, as its camera would send it. */
export function eventAt(
  runSeed: string,
  i: number,
  count: number,
  privateKey: KeyObject,
  startMs: number,
): InfractionEvent {
  const camera = i % CAMERAS;
  const perCamera = Math.floor(i / CAMERAS);
  return makeEvent(privateKey, {
    eventId: eventIdOf(runSeed, i),
    cameraId: `cam-${String(camera).padStart(3, '0')}`,
    cameraSeq: perCamera + 1 + Math.floor(perCamera / GAP_EVERY),
    occurredAtMs: startMs - SPAN_MS + Math.floor((i * SPAN_MS) / count),
  });
}

/** Progress on stderr: done, rate, ETA; at most once a second. */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #startMs = performance.now();
  #lastMs = 0;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }

  update(done: number, force = false): void {
    const nowMs = performance.now();
    if (!force && nowMs - this.#lastMs < 1000) return;
    this.#lastMs = nowMs;
    const rate = done / ((nowMs - this.#startMs) / 1000);
    const etaS = rate > 0 ? (this.#total - done) / rate : Infinity;
    process.stderr.write(
      `\r  ${this.#label}: ${done}/${this.#total}  ${rate.toFixed(0)}/s  ETA ${Number.isFinite(etaS) ? `${etaS.toFixed(0)} s` : '?'}   `,
    );
    if (done >= this.#total) process.stderr.write('\n');
  }

  get seconds(): number {
    return (performance.now() - this.#startMs) / 1000;
  }
}

/**
 * Appends audit entries in order inside the caller's transaction: THE one place the bulk
 * loader writes the audit log. It reserves sequence numbers from audit_head and inserts with
 * the core's own functions (appendAuditMany: reserveAuditSeqsSql + insertAuditEntries), so the
 * canonical bytes, leaf hashes and any structure insertAuditEntries maintains stay those of
 * the running core.
 */
export async function appendAuditEntries(tx: Queryable, entries: readonly NewAuditEntry[]): Promise<void> {
  await appendAuditMany(tx, entries);
}

/**
 * Publishes events [0, count) to JetStream (acknowledged, `window` in flight) for a running core
 * to ingest; resolves when every publish is acknowledged.
 */
export async function publishEvents(
  nc: NatsConnection,
  runSeed: string,
  count: number,
  privateKey: KeyObject,
  startMs: number,
  onPublished: (done: number) => void,
  window = 256,
): Promise<void> {
  const js = jetstream(nc);
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i++) {
    const event = eventAt(runSeed, i, count, privateKey, startMs);
    const ack = js.publish(subjectOf(event), InfractionEvent.encode(event).finish(), { msgID: event.eventId });
    const tracked: Promise<unknown> = ack.then(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= window) await Promise.race(inFlight);
    if (i % 1000 === 0) onPublished(i);
  }
  await Promise.all(inFlight);
  onPublished(count);
}

/** The rows and audit entries of a batch of review lives, in the order they are written. */
export interface LifecycleRows {
  readonly entries: NewAuditEntry[];
  readonly views: { eventId: string; actor: string; purpose: string }[];
  readonly decisions: { eventId: string; actor: string; kind: string; reason: string; viewedMs: number }[];
  readonly ledger: { eventId: string; subjectRef: string; points: number }[];
  readonly reviews: { eventId: string; record: ReviewRecord }[];
}

export interface LifecyclePolicy {
  readonly review: ReviewPolicy;
  readonly ledger: LedgerPolicy;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The audit details review-service.ts appends for a review action (auditDetails there). */
function reviewDetails(action: ReviewAction, record: ReviewRecord): Record<string, AuditValue> {
  const details: Record<string, AuditValue> = { state: record.state, version: record.version };
  if ('reason' in action) details.reason = action.reason;
  if ('evidenceViewedMs' in action) details.evidenceViewedMs = action.evidenceViewedMs;
  if (action.kind === 'link') details.citationNumber = action.reference.citationNumber;
  return details;
}

/** Event `i`'s review life after ingest (its fate unless told), as rows and audit entries (pure). */
export function lifecycleOf(
  runSeed: string,
  i: number,
  count: number,
  nowMs: number,
  policy: LifecyclePolicy,
  out: LifecycleRows,
  fate: Fate = fateOf(i),
): void {
  if (fate === 'queued') return;
  const eventId = eventIdOf(runSeed, i);
  const reviewer: Actor = { id: `rev-${pad(i % 20)}`, roles: ['reviewer'] };
  const supervisor: Actor = { id: `sup-${pad(i % 5)}`, roles: ['supervisor'] };
  const auditor = `aud-${pad(i % 3)}`;
  let record: ReviewRecord = { state: 'queued', version: 1 };
  const act = (action: ReviewAction, actor: Actor): void => {
    const result = transition(record, action, actor, nowMs, policy.review);
    if (!result.ok) throw new Error(`bench lifecycle of event ${i}: ${result.message}`);
    record = result.record;
    const decisionKinds = ['confirm', 'reject', 'approve', 'deny'];
    if (decisionKinds.includes(action.kind) && 'reason' in action && 'evidenceViewedMs' in action) {
      out.decisions.push({
        eventId,
        actor: actor.id,
        kind: action.kind,
        reason: action.reason,
        viewedMs: action.evidenceViewedMs,
      });
    }
    out.entries.push({
      atMs: nowMs,
      actor: actor.id,
      action: `review.${action.kind}`,
      subject: eventId,
      details: reviewDetails(action, record),
    });
  };
  const read = (actor: string, purpose: string): void => {
    out.views.push({ eventId, actor, purpose });
    out.entries.push({ atMs: nowMs, actor, action: 'evidence.read', subject: eventId, details: { purpose } });
  };
  // How long the evidence was open before each decision: at least the policy's minimum.
  const viewedMs = policy.review.minEvidenceViewMs + ((i * 7919) % 20_000);
  act({ kind: 'claim' }, reviewer);
  read(reviewer.id, 'review');
  read(reviewer.id, 'review');
  if (fate === 'rejected') {
    const reasons = Object.keys(REJECT_REASONS);
    act({ kind: 'reject', reason: reasons[i % reasons.length]!, evidenceViewedMs: viewedMs }, reviewer);
  } else {
    act({ kind: 'confirm', reason: 'clear_infraction', evidenceViewedMs: viewedMs }, reviewer);
    const subjectRef = subjectRefOf(i, count);
    const reference = { citationNumber: `C-${i}`, issuingOfficer: `PC ${4000 + (i % 300)}`, subjectRef };
    act({ kind: 'link', reference }, reviewer);
    read(supervisor.id, 'second review');
    read(supervisor.id, 'second review');
    act({ kind: 'approve', reason: 'evidence_supports', evidenceViewedMs: viewedMs + 1000 }, supervisor);
    // The deduct_points effect (ledger.ts deductPoints, then review-service.ts's entry).
    const points = policy.ledger.pointsByKind[ENTRY_INFRACTION_KIND]!;
    out.ledger.push({ eventId, subjectRef, points });
    out.entries.push({
      atMs: nowMs,
      actor: 'system:ledger',
      action: 'ledger.deducted',
      subject: eventId,
      details: { points, expiresAtMs: nowMs + policy.ledger.deductionTtlMs, infractionKind: ENTRY_INFRACTION_KIND },
    });
    read(auditor, 'audit');
  }
  out.reviews.push({ eventId, record });
}

/** Writes the rows of a batch of lifecycles, as the review service would, in the caller's transaction. */
async function writeLifecycleRows(tx: Queryable, rows: LifecycleRows, nowMs: number, policy: LifecyclePolicy) {
  const refs = [...new Set(rows.reviews.flatMap((r) => (r.record.reference ? [r.record.reference.subjectRef] : [])))];
  await tx.query('INSERT INTO subjects (subject_ref) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [refs]);
  const col = <T>(f: (r: { eventId: string; record: ReviewRecord }) => T): T[] => rows.reviews.map(f);
  const updated = await tx.query(
    `UPDATE reviews r SET state = u.state, version = u.version, claim_by = NULL, claim_expires_at = NULL,
       confirmed_by = u.confirmed_by, linked_by = u.linked_by, approved_by = u.approved_by,
       citation_number = u.citation_number, issuing_officer = u.issuing_officer, subject_ref = u.subject_ref,
       updated_at = to_timestamp($10::float8 / 1000)
     FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
       AS u (event_id, state, version, confirmed_by, linked_by, approved_by, citation_number, issuing_officer, subject_ref)
     WHERE r.event_id = u.event_id AND r.version = 1`,
    [
      col((r) => r.eventId),
      col((r) => r.record.state),
      col((r) => r.record.version),
      col((r) => r.record.confirmedBy ?? null),
      col((r) => r.record.linkedBy ?? null),
      col((r) => r.record.approvedBy ?? null),
      col((r) => r.record.reference?.citationNumber ?? null),
      col((r) => r.record.reference?.issuingOfficer ?? null),
      col((r) => r.record.reference?.subjectRef ?? null),
      nowMs,
    ],
  );
  if (updated.rowCount !== rows.reviews.length)
    throw new Error(`bench lifecycle: ${updated.rowCount} of ${rows.reviews.length} reviews were at version 1`);
  await tx.query(
    `INSERT INTO review_decisions (event_id, actor, kind, reason_code, evidence_viewed_ms, at)
     SELECT e, a, k, r, v, to_timestamp($6::float8 / 1000)
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS u (e, a, k, r, v)`,
    [
      rows.decisions.map((d) => d.eventId),
      rows.decisions.map((d) => d.actor),
      rows.decisions.map((d) => d.kind),
      rows.decisions.map((d) => d.reason),
      rows.decisions.map((d) => d.viewedMs),
      nowMs,
    ],
  );
  await tx.query(
    `INSERT INTO evidence_views (event_id, actor, purpose, opened_at)
     SELECT e, a, p, to_timestamp($4::float8 / 1000) FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u (e, a, p)`,
    [rows.views.map((v) => v.eventId), rows.views.map((v) => v.actor), rows.views.map((v) => v.purpose), nowMs],
  );
  await tx.query(
    `INSERT INTO ledger_entries (subject_ref, event_id, kind, points, at, expires_at)
     SELECT s, e, 'deduction', -p, to_timestamp($4::float8 / 1000), to_timestamp($5::float8 / 1000)
     FROM unnest($1::text[], $2::uuid[], $3::int[]) AS u (s, e, p)`,
    [
      rows.ledger.map((l) => l.subjectRef),
      rows.ledger.map((l) => l.eventId),
      rows.ledger.map((l) => l.points),
      nowMs,
      nowMs + policy.ledger.deductionTtlMs,
    ],
  );
  await appendAuditEntries(tx, rows.entries);
}

export const newRows = (): LifecycleRows => ({ entries: [], views: [], decisions: [], ledger: [], reviews: [] });

/** Writes the review life of events [from, to) (already stored) in one transaction. */
async function lifecycleBatch(
  tx: Queryable,
  runSeed: string,
  from: number,
  to: number,
  count: number,
  policy: LifecyclePolicy,
): Promise<number> {
  const nowMs = Date.now();
  const rows = newRows();
  for (let i = from; i < to; i++) lifecycleOf(runSeed, i, count, nowMs, policy, rows);
  await writeLifecycleRows(tx, rows, nowMs, policy);
  return rows.entries.length;
}

/** Events a transaction: about 10 audit entries each. */
const BATCH = 500;

/** Writes the review life of events [0, count), which a core has ingested. Returns the audit entries written. */
export async function writeLifecycles(
  db: Database,
  runSeed: string,
  count: number,
  policy: LifecyclePolicy,
): Promise<number> {
  const progress = new Progress('review lifecycles', count);
  let entries = 0;
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH);
    entries += await db.transaction((tx) => lifecycleBatch(tx, runSeed, from, to, count, policy));
    progress.update(to, to === count);
  }
  return entries;
}

/**
 * Stores events [0, count) with the ingest's store function (one `event.ingested` entry each,
 * as ingest appends it) and their review lives, a batch a transaction, no core running.
 * Returns the audit entries written.
 */
export async function bulkLoad(
  db: Database,
  runSeed: string,
  count: number,
  privateKey: KeyObject,
  startMs: number,
  policy: LifecyclePolicy,
): Promise<number> {
  const keyId = keyIdOf(createPublicKey(privateKey));
  const progress = new Progress('bulk load (events + lifecycles)', count);
  let entries = 0;
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH);
    const verified: VerifiedEvent[] = [];
    for (let i = from; i < to; i++) {
      const event = eventAt(runSeed, i, count, privateKey, startMs);
      verified.push({
        event,
        message: { streamSeq: i + 1, payload: InfractionEvent.encode(event).finish() },
        signatureKeyId: keyId,
      });
    }
    entries += await db.transaction(async (tx) => {
      const stored = await storeVerifiedEvents(tx, verified);
      return stored.filter(Boolean).length + (await lifecycleBatch(tx, runSeed, from, to, count, policy));
    });
    progress.update(to, to === count);
  }
  return entries;
}
