/** Every error the edge raises on purpose carries one of these codes. */
export const EdgeErrorCode = {
  /** Thrown when a config file is missing, unreadable or invalid. */
  CONFIG_INVALID: 'EDGE_CONFIG_INVALID',
  /** Thrown when models/manifest.json is unreadable or has no entry for an id. */
  MODEL_MANIFEST_INVALID: 'EDGE_MODEL_MANIFEST_INVALID',
  /** Thrown when a model or sample file is in neither the cache nor the mirror and cannot be downloaded. */
  MODEL_MISSING: 'EDGE_MODEL_MISSING',
  /** Thrown when a file's SHA-256 differs from the manifest's. */
  MODEL_HASH_MISMATCH: 'EDGE_MODEL_HASH_MISMATCH',
  /** Thrown when an ONNX model's inputs or outputs differ from the manifest's spec. */
  MODEL_METADATA_MISMATCH: 'EDGE_MODEL_METADATA_MISMATCH',
  /** Thrown when ffmpeg or ffprobe is missing, fails, or the input cannot be decoded. */
  FRAME_SOURCE_FAILED: 'EDGE_FRAME_SOURCE_FAILED',
  /** Thrown when a live stream delivers no frame for `stallTimeoutMs` (the source is then reopened). */
  FRAME_SOURCE_STALLED: 'EDGE_FRAME_SOURCE_STALLED',
  /** Thrown when a frame does not have the size its header promises. */
  FRAME_INVALID: 'EDGE_FRAME_INVALID',
  /** Thrown when inference fails. */
  DETECTOR_FAILED: 'EDGE_DETECTOR_FAILED',
  /** Thrown when a signal schedule is invalid. */
  SIGNAL_SCHEDULE_INVALID: 'EDGE_SIGNAL_SCHEDULE_INVALID',
  /** Thrown when evidence cannot be redacted; nothing is published (fail closed). */
  REDACTION_FAILED: 'EDGE_REDACTION_FAILED',
  /** Thrown when an evidence object (JPEG or clip) cannot be encoded. */
  EVIDENCE_FAILED: 'EDGE_EVIDENCE_FAILED',
  /** Thrown when the signal feed or its config is unusable. */
  SIGNAL_FEED_INVALID: 'EDGE_SIGNAL_FEED_INVALID',
  /** Thrown when a file in the state folder (e.g. a sequence counter) is unreadable or corrupt. */
  STATE_INVALID: 'EDGE_STATE_INVALID',
  /** Thrown when the device key cannot be read or created. */
  DEVICE_KEY_INVALID: 'EDGE_DEVICE_KEY_INVALID',
  /** Thrown when an event or its evidence cannot be published. */
  PUBLISH_FAILED: 'EDGE_PUBLISH_FAILED',
  /** Thrown when the site outbox is full (sized for the promised outage): nothing old is evicted. */
  OUTBOX_FULL: 'EDGE_OUTBOX_FULL',
} as const;

export type EdgeErrorCode = (typeof EdgeErrorCode)[keyof typeof EdgeErrorCode];

/** The one error type of the edge side. Callers branch on `code`, never on the message. */
export class EdgeError extends Error {
  override readonly name = 'EdgeError';
  readonly code: EdgeErrorCode;

  constructor(code: EdgeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
