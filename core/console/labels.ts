/// <reference lib="dom" />
/**
 * Human words for the contract's enums and codes. Each table is keyed by the generated enum, so
 * a value added to the proto fails the typecheck here until it has words.
 */
import { ClockSyncState, SignalSourceKind, SignalState } from '../../proto/gen/zebra/v1/event.js';
import { ReviewState } from '../../proto/gen/zebra/v1/review.js';

export const REVIEW_STATE_LABEL: Record<ReviewState, string> = {
  [ReviewState.REVIEW_STATE_UNSPECIFIED]: 'Not known',
  [ReviewState.REVIEW_STATE_RECEIVED]: 'Received',
  [ReviewState.REVIEW_STATE_QUEUED]: 'Waiting for a first review',
  [ReviewState.REVIEW_STATE_IN_REVIEW]: 'In first review',
  [ReviewState.REVIEW_STATE_REJECTED]: 'Rejected',
  [ReviewState.REVIEW_STATE_CONFIRMED]: 'Confirmed, waiting for the lawful reference',
  [ReviewState.REVIEW_STATE_LINKED]: 'Waiting for the second review',
  [ReviewState.REVIEW_STATE_APPROVED]: 'Approved',
  [ReviewState.REVIEW_STATE_CLOSED]: 'Closed',
  [ReviewState.REVIEW_STATE_APPEALED]: 'Under appeal',
  [ReviewState.REVIEW_STATE_UPHELD]: 'Appeal upheld',
  [ReviewState.REVIEW_STATE_DENIED]: 'Appeal denied',
  [ReviewState.REVIEW_STATE_EXPIRED]: 'Expired',
  [ReviewState.UNRECOGNIZED]: 'Not known to this console',
};

export const SIGNAL_STATE_LABEL: Record<SignalState, string> = {
  [SignalState.SIGNAL_STATE_UNSPECIFIED]: 'not recorded',
  [SignalState.SIGNAL_STATE_WALK]: 'WALK',
  [SignalState.SIGNAL_STATE_FLASHING_DONT_WALK]: 'flashing DON’T WALK',
  [SignalState.SIGNAL_STATE_STEADY_DONT_WALK]: 'steady DON’T WALK',
  [SignalState.SIGNAL_STATE_DARK]: 'dark or in fault',
  [SignalState.UNRECOGNIZED]: 'not known to this console',
};

export const SIGNAL_SOURCE_LABEL: Record<SignalSourceKind, string> = {
  [SignalSourceKind.SIGNAL_SOURCE_KIND_UNSPECIFIED]: 'an unrecorded source',
  [SignalSourceKind.SIGNAL_SOURCE_KIND_CONTROLLER_FEED]: 'the signal controller’s live feed',
  [SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE]: 'a fixed schedule file (not the controller)',
  [SignalSourceKind.UNRECOGNIZED]: 'a source not known to this console',
};

export const CLOCK_STATE_LABEL: Record<ClockSyncState, string> = {
  [ClockSyncState.CLOCK_SYNC_STATE_UNSPECIFIED]: 'not recorded',
  [ClockSyncState.CLOCK_SYNC_STATE_SYNCED]: 'in step with the reference',
  [ClockSyncState.CLOCK_SYNC_STATE_UNSYNCED]: 'out of step with the reference',
  [ClockSyncState.CLOCK_SYNC_STATE_UNKNOWN]: 'not checked: there was no reference to compare with',
  [ClockSyncState.UNRECOGNIZED]: 'not known to this console',
};

const INFRACTION_LABEL: Record<string, string> = {
  '': 'Stepped onto the crossing on steady DON’T WALK',
  entered_on_steady_dont_walk: 'Stepped onto the crossing on steady DON’T WALK',
};

/** The rule the event breaks, in words; an unknown code is shown as "rule <code>". */
export function infractionLabel(kind: string): string {
  return INFRACTION_LABEL[kind] ?? `Rule “${kind.replace(/_/g, ' ')}”`;
}

const SUSPENSION_LABEL: Record<string, string> = {
  signal_stale: 'the signal reading was stale',
  camera_obstructed: 'the camera was obstructed',
  clock_unsynced: 'the device clock was out of step',
  signal_unauthenticated: 'signal reports failed authentication',
};

export function suspensionLabel(code: string): string {
  return SUSPENSION_LABEL[code] ?? code.replace(/_/g, ' ');
}

const EVIDENCE_ROLE_LABEL: Record<string, string> = {
  before: 'Before the entry',
  entry: 'Entry',
  decision: 'Device decision',
  after: 'After',
  clip: 'Clip',
};

export function evidenceRoleLabel(role: string): string {
  return EVIDENCE_ROLE_LABEL[role] ?? role.replace(/_/g, ' ');
}

const REDACTION_METHOD_LABEL: Record<string, string> = {
  pixelate: 'pixelated',
  solid: 'filled solid',
  blur: 'blurred',
};

export function redactionMethodLabel(method: string): string {
  return REDACTION_METHOD_LABEL[method] ?? (method ? method.replace(/_/g, ' ') : 'not recorded');
}

const REDACTION_MODE_LABEL: Record<string, string> = {
  standard: 'faces and heads masked',
  'need-to-know': 'faces and heads masked, and everything but the crossing and the person pixelated',
};

export function redactionModeLabel(mode: string): string {
  return REDACTION_MODE_LABEL[mode] ?? (mode ? mode.replace(/[_-]/g, ' ') : 'faces and heads masked');
}

/** "1 face", "3 faces". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}
