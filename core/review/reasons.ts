/** The fixed reason taxonomy. Codes are stable; labels are for people. */
export const REJECT_REASONS = {
  not_a_pedestrian: 'The tracked object is not a pedestrian',
  entered_lawfully: "The person entered on WALK or flashing DON'T WALK",
  not_in_crosswalk: 'The person did not enter the crosswalk zone',
  signal_data_wrong: 'The signal reading does not match the evidence',
  evidence_unclear: 'The evidence does not show the infraction clearly',
  emergency_or_exempt: 'Emergency, medical or otherwise exempt movement',
  duplicate: 'The same crossing is already recorded by another event',
} as const;

export const CONFIRM_REASONS = {
  clear_infraction: "Entry after steady DON'T WALK is clearly visible",
} as const;

export const DENY_REASONS = {
  insufficient_evidence: 'The evidence does not support the confirmation',
  reference_mismatch: 'The lawful reference does not match the event',
  procedural_error: 'The review did not follow procedure',
} as const;

export const APPROVE_REASONS = {
  evidence_supports: 'The evidence and the reference support the infraction',
} as const;

/** Reasons to uphold an appeal (the points are given back). */
export const UPHOLD_APPEAL_REASONS = {
  identity_disputed: 'The lawful reference names the wrong person',
  evidence_insufficient: 'On appeal the evidence is not sufficient',
  exemption_accepted: 'An exemption applies',
} as const;

/** Reasons to deny an appeal (the decision stands). */
export const DENY_APPEAL_REASONS = {
  appeal_unfounded: 'The appeal raises nothing that changes the decision',
} as const;

/** Every appeal outcome reason, for labels; a decision takes only its own outcome's reasons. */
export const APPEAL_OUTCOME_REASONS = { ...UPHOLD_APPEAL_REASONS, ...DENY_APPEAL_REASONS } as const;

export type RejectReason = keyof typeof REJECT_REASONS;
export type ConfirmReason = keyof typeof CONFIRM_REASONS;
export type DenyReason = keyof typeof DENY_REASONS;
export type ApproveReason = keyof typeof APPROVE_REASONS;
export type AppealOutcomeReason = keyof typeof APPEAL_OUTCOME_REASONS;

export function isReason<T extends Record<string, string>>(
  taxonomy: T,
  code: string,
): code is Extract<keyof T, string> {
  return Object.hasOwn(taxonomy, code);
}
