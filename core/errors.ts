/** Every error the core raises on purpose carries one of these codes. */
export const CoreErrorCode = {
  /** Thrown when a config file is missing, unreadable or invalid. */
  CONFIG_INVALID: 'CORE_CONFIG_INVALID',
  /** Thrown when the database cannot be opened or a migration fails. */
  DB_UNAVAILABLE: 'CORE_DB_UNAVAILABLE',
  /** Thrown when NATS or JetStream cannot be reached or set up. */
  NATS_UNAVAILABLE: 'CORE_NATS_UNAVAILABLE',
  /** Thrown when a request argument is malformed (maps to INVALID_ARGUMENT). */
  INVALID_ARGUMENT: 'CORE_INVALID_ARGUMENT',
  /** Thrown when a requested event does not exist (maps to NOT_FOUND). */
  EVENT_NOT_FOUND: 'CORE_EVENT_NOT_FOUND',
  /** Thrown when a user, token or other named record does not exist (maps to NOT_FOUND). */
  NOT_FOUND: 'CORE_NOT_FOUND',
  /** Thrown when a record with the same id already exists (maps to ALREADY_EXISTS). */
  ALREADY_EXISTS: 'CORE_ALREADY_EXISTS',
  /** Thrown when a call carries no valid token (maps to UNAUTHENTICATED). */
  UNAUTHENTICATED: 'CORE_UNAUTHENTICATED',
  /** Thrown when the caller's roles do not allow the call (maps to PERMISSION_DENIED). */
  PERMISSION_DENIED: 'CORE_PERMISSION_DENIED',
  /** Thrown when a call has no deadline (maps to INVALID_ARGUMENT). */
  DEADLINE_REQUIRED: 'CORE_DEADLINE_REQUIRED',
  /** Thrown when evidence was purged by retention (maps to FAILED_PRECONDITION). */
  EVIDENCE_PURGED: 'CORE_EVIDENCE_PURGED',
  /** Thrown when a stored row cannot be decoded (maps to INTERNAL). */
  DATA_CORRUPT: 'CORE_DATA_CORRUPT',
  /** Thrown when a review action does not apply to the event's state (FAILED_PRECONDITION). */
  REVIEW_INVALID_TRANSITION: 'CORE_REVIEW_INVALID_TRANSITION',
  /** Thrown when the caller's role may not take a review action (PERMISSION_DENIED). */
  REVIEW_FORBIDDEN: 'CORE_REVIEW_FORBIDDEN',
  /** Thrown when one person would act twice where two are required (PERMISSION_DENIED). */
  REVIEW_SAME_PERSON: 'CORE_REVIEW_SAME_PERSON',
  /** Thrown when a decision comes from someone who does not hold the claim (FAILED_PRECONDITION). */
  REVIEW_NOT_CLAIMANT: 'CORE_REVIEW_NOT_CLAIMANT',
  /** Thrown when a decision comes before the minimum evidence viewing time (FAILED_PRECONDITION). */
  REVIEW_TOO_FAST: 'CORE_REVIEW_TOO_FAST',
  /** Thrown when a reason is not in the fixed taxonomy (INVALID_ARGUMENT). */
  REVIEW_BAD_REASON: 'CORE_REVIEW_BAD_REASON',
  /** Thrown when the review changed since the caller read it (ABORTED: read again and retry). */
  REVIEW_VERSION_CONFLICT: 'CORE_REVIEW_VERSION_CONFLICT',
  /** Thrown at start when the database holds migrations this core does not know (a newer core's). */
  SCHEMA_NEWER: 'CORE_SCHEMA_NEWER',
  /** Thrown when a backup cannot be made, or a backup folder is incomplete, altered or unfit to restore. */
  BACKUP_INVALID: 'CORE_BACKUP_INVALID',
  /** Thrown inside a streaming call once its caller cancelled or went away (CANCELLED). */
  CANCELLED: 'CORE_CANCELLED',
} as const;

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** The one error type of the core side. Callers branch on `code`, never on the message. */
export class CoreError extends Error {
  override readonly name = 'CoreError';
  readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
