/**
 * Words for people from audit entries and enum values: the custody story of an event. Pure (no
 * DOM, no Node): the console, the evidence package PDF and the CLI all use it, so the three say
 * the same thing about the same entry.
 */
import {
  APPEAL_OUTCOME_REASONS,
  APPROVE_REASONS,
  CONFIRM_REASONS,
  DENY_REASONS,
  REJECT_REASONS,
} from '../review/reasons.js';

/** The fields of an audit entry the story reads (the canonical entry's). */
export interface StoryEntry {
  readonly seq: number;
  readonly atMs: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** One line of the custody story: who did what, why, and how long they looked. */
export interface StoryLine {
  readonly seq: number;
  readonly atMs: number;
  readonly who: string;
  readonly what: string;
  /** The stated purpose, reason or grounds; '' when the entry has none. */
  readonly why: string;
  /** How long the evidence was open before the decision; undefined when not a decision. */
  readonly lookedMs: number | undefined;
  /** Everything else in the entry (hashes, ids), for a details section. */
  readonly details: readonly (readonly [string, string])[];
}

const REASONS: Readonly<Record<string, string>> = {
  ...REJECT_REASONS,
  ...CONFIRM_REASONS,
  ...DENY_REASONS,
  ...APPROVE_REASONS,
  ...APPEAL_OUTCOME_REASONS,
};

/** A reason code in words ("clear_infraction" → "Entry after steady DON'T WALK is clearly visible"). */
export function reasonLabel(code: string): string {
  return REASONS[code] ?? code.replace(/_/g, ' ');
}

const REVIEW_STATES: Readonly<Record<string, string>> = {
  received: 'received',
  queued: 'waiting for first review',
  in_review: 'in first review',
  rejected: 'rejected at first review',
  confirmed: 'confirmed, waiting for the reference',
  linked: 'waiting for second review',
  approved: 'approved',
  closed: 'closed',
  appealed: 'under appeal',
  upheld: 'appeal upheld',
  denied: 'denied at second review',
  expired: 'expired',
  machine_rejected: 'rejected on the device',
  denied_at_second_review: 'denied at second review',
  appeal_upheld: 'appeal upheld',
  appeal_denied: 'appeal denied',
};

/** A review state or report stage, from the store ("in_review") or the wire ("REVIEW_STATE_IN_REVIEW"). */
export function reviewStateLabel(value: string): string {
  const key = value.replace(/^REVIEW_STATE_/, '').toLowerCase();
  return REVIEW_STATES[key] ?? key.replace(/_/g, ' ');
}

const STAGES: Readonly<Record<string, string>> = {
  machine_rejected: 'rejected on the device',
  received: 'received',
  rejected: 'rejected at first review',
  confirmed: 'confirmed at first review',
  approved: 'approved at second review',
  denied_at_second_review: 'denied at second review',
  appealed: 'appealed',
  appeal_upheld: 'appeal upheld',
  appeal_denied: 'appeal denied',
  expired: 'expired unreviewed',
};

/** A transparency report stage ("denied_at_second_review") in words. */
export function stageLabel(stage: string): string {
  return STAGES[stage] ?? reviewStateLabel(stage);
}

const INFRACTION_KINDS: Readonly<Record<string, string>> = {
  entered_on_steady_dont_walk: "entry into the crosswalk on steady DON'T WALK",
};

/** An infraction kind ("entered_on_steady_dont_walk") in words; '' (old events) is the entry rule. */
export function infractionKindLabel(kind: string): string {
  return INFRACTION_KINDS[kind || 'entered_on_steady_dont_walk'] ?? kind.replace(/_/g, ' ');
}

const SIGNALS: Readonly<Record<string, string>> = {
  WALK: 'WALK',
  FLASHING_DONT_WALK: "flashing DON'T WALK",
  STEADY_DONT_WALK: "steady DON'T WALK",
  DARK: 'dark (no signal shown)',
  UNSPECIFIED: 'unknown',
};

/** "SIGNAL_STATE_STEADY_DONT_WALK" (or the number 3, or "steady_dont_walk") → "steady DON'T WALK". */
export function signalLabel(value: string | number): string {
  const names = ['UNSPECIFIED', 'WALK', 'FLASHING_DONT_WALK', 'STEADY_DONT_WALK', 'DARK'];
  const key = typeof value === 'number' ? (names[value] ?? '') : value.replace(/^SIGNAL_STATE_/, '').toUpperCase();
  return SIGNALS[key] ?? 'unknown';
}

const pad = (n: number, width = 2): string => String(Math.trunc(n)).padStart(width, '0');

/**
 * "2026-12-03 10:12:05.123 +01:00" (local, the default) or "2026-12-03 09:12:05.123 UTC": to the
 * millisecond, with the zone, never an epoch number. "invalid time" for a value no date can hold.
 */
export function timeWithMs(ms: number | string, zone: 'local' | 'utc' = 'local'): string {
  const n = Number(ms);
  const d = new Date(n);
  if (!Number.isFinite(n) || Number.isNaN(d.getTime())) return 'invalid time';
  const utc = zone === 'utc';
  const date = `${utc ? d.getUTCFullYear() : d.getFullYear()}-${pad((utc ? d.getUTCMonth() : d.getMonth()) + 1)}-${pad(utc ? d.getUTCDate() : d.getDate())}`;
  const time = `${pad(utc ? d.getUTCHours() : d.getHours())}:${pad(utc ? d.getUTCMinutes() : d.getMinutes())}:${pad(utc ? d.getUTCSeconds() : d.getSeconds())}.${pad(utc ? d.getUTCMilliseconds() : d.getMilliseconds(), 3)}`;
  if (utc) return `${date} ${time} UTC`;
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  return `${date} ${time} ${sign}${pad(Math.abs(offset) / 60)}:${pad(Math.abs(offset) % 60)}`;
}

/** "1.2 s", "4 min 05 s", "2 h 03 min". */
export function durationLabel(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor(s / 60) % 60)} min`;
}

/** "device:dev-1" → "Device dev-1"; "system:ledger" → "The system (ledger)"; a user id as it is. */
export function actorLabel(actor: string): string {
  if (actor.startsWith('device:')) return `Device ${actor.slice('device:'.length)}`;
  if (actor.startsWith('system:')) return `The system (${actor.slice('system:'.length)})`;
  return actor;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

type Teller = (d: Readonly<Record<string, unknown>>) => { what: string; why?: string; used: readonly string[] };

const DECIDED =
  (verb: string): Teller =>
  (d) => ({
    what: verb,
    why: d.reason === undefined ? '' : reasonLabel(str(d.reason)),
    used: ['reason', 'evidenceViewedMs', 'state', 'version'],
  });

const TELLERS: Readonly<Record<string, Teller>> = {
  'event.ingested': (d) => ({
    what: `received the event from camera ${str(d.cameraId)} (number ${str(d.cameraSeq)} of that camera), its signature checked`,
    why: Array.isArray(d.enforcementSuspended) ? `enforcement suspended: ${d.enforcementSuspended.join(', ')}` : '',
    used: ['cameraId', 'cameraSeq', 'enforcementSuspended'],
  }),
  'evidence.read': (d) => ({ what: 'opened the evidence', why: str(d.purpose), used: ['purpose'] }),
  'evidence.fetched': (d) => ({
    what: `viewed the ${str(d.mediaType).startsWith('video/') ? 'video clip' : 'keyframe image'}`,
    why: str(d.purpose),
    used: ['purpose', 'mediaType'],
  }),
  'evidence.packaged': (d) => ({ what: 'printed the evidence package', why: str(d.purpose), used: ['purpose'] }),
  'evidence.purged': (d) => ({
    what: `deleted the evidence (${Array.isArray(d.objects) ? d.objects.length : 0} objects) under the retention rules`,
    why: str(d.reason).replace(/_/g, ' '),
    used: ['reason'],
  }),
  'review.enqueue': () => ({ what: 'put it in the first-review queue', used: ['state', 'version'] }),
  'review.claim': () => ({ what: 'claimed it for first review', used: ['state', 'version'] }),
  'review.release': () => ({ what: 'released the claim', used: ['state', 'version'] }),
  'review.confirm': DECIDED('confirmed the infraction at first review'),
  'review.reject': DECIDED('rejected the event at first review'),
  'review.approve': DECIDED('approved it at the blind second review'),
  'review.deny': DECIDED('denied it at the blind second review'),
  'review.uphold_appeal': DECIDED('upheld the appeal'),
  'review.deny_appeal': DECIDED('denied the appeal'),
  'review.expire': () => ({ what: 'let it expire unreviewed', used: ['state', 'version'] }),
  'review.link': (d) => ({
    what: `linked the lawful reference, citation ${str(d.citationNumber)}`,
    used: ['citationNumber', 'state', 'version'],
  }),
  'review.appeal': (d) => ({ what: 'filed an appeal', why: str(d.grounds), used: ['grounds', 'state', 'version'] }),
  'ledger.deducted': (d) => ({
    what:
      `deducted ${str(d.points)} points` +
      (num(d.expiresAtMs) === undefined ? '' : `, counting until ${timeWithMs(num(d.expiresAtMs)!, 'utc')}`),
    used: ['points', 'expiresAtMs'],
  }),
  'ledger.reversed': (d) => ({ what: `gave back ${str(d.points)} points`, used: ['points'] }),
  'ledger.flagged': (d) => ({
    what: 'flagged the deduction for audit',
    why: `the same administrator (${str(d.admin)}) set up both deciders shortly before`,
    used: ['admin', 'flag'],
  }),
};

/** One audit entry as a sentence for people, with the rest kept for a details section. */
export function storyLine(entry: StoryEntry): StoryLine {
  const teller = TELLERS[entry.action];
  const told = teller
    ? teller(entry.details)
    : { what: entry.action.replace(/[._]/g, ' '), why: '', used: [] as readonly string[] };
  const details = Object.entries(entry.details)
    .filter(([k]) => !told.used.includes(k) || k === 'state')
    .map(([k, v]) => [k, k === 'state' ? reviewStateLabel(str(v)) : str(v)] as const);
  return {
    seq: entry.seq,
    atMs: entry.atMs,
    who: actorLabel(entry.actor),
    what: told.what,
    why: told.why ?? '',
    lookedMs: num(entry.details.evidenceViewedMs),
    details: [['action', entry.action], ['log position', String(entry.seq)], ...details],
  };
}

/** The line as one sentence: "rita confirmed the infraction (reason), after looking for 1.2 s." */
export function storySentence(line: StoryLine): string {
  const why = line.why ? `: ${line.why}` : '';
  const looked =
    line.lookedMs === undefined ? '' : `, after looking at the evidence for ${durationLabel(line.lookedMs)}`;
  return `${line.who} ${line.what}${why}${looked}.`;
}
