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
  /** Thrown when a stored row cannot be decoded (maps to INTERNAL). */
  DATA_CORRUPT: 'CORE_DATA_CORRUPT',
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
