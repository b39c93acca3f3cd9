import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { CoreError, CoreErrorCode } from '../errors.js';

const STATUS_OF: Record<CoreErrorCode, status> = {
  [CoreErrorCode.CONFIG_INVALID]: status.INTERNAL,
  [CoreErrorCode.DB_UNAVAILABLE]: status.UNAVAILABLE,
  [CoreErrorCode.NATS_UNAVAILABLE]: status.UNAVAILABLE,
  [CoreErrorCode.SCHEMA_NEWER]: status.FAILED_PRECONDITION,
  [CoreErrorCode.BACKUP_INVALID]: status.FAILED_PRECONDITION,
  [CoreErrorCode.INVALID_ARGUMENT]: status.INVALID_ARGUMENT,
  [CoreErrorCode.EVENT_NOT_FOUND]: status.NOT_FOUND,
  [CoreErrorCode.NOT_FOUND]: status.NOT_FOUND,
  [CoreErrorCode.ALREADY_EXISTS]: status.ALREADY_EXISTS,
  [CoreErrorCode.UNAUTHENTICATED]: status.UNAUTHENTICATED,
  [CoreErrorCode.PERMISSION_DENIED]: status.PERMISSION_DENIED,
  [CoreErrorCode.DEADLINE_REQUIRED]: status.INVALID_ARGUMENT,
  [CoreErrorCode.EVIDENCE_PURGED]: status.FAILED_PRECONDITION,
  [CoreErrorCode.DATA_CORRUPT]: status.INTERNAL,
  [CoreErrorCode.REVIEW_INVALID_TRANSITION]: status.FAILED_PRECONDITION,
  [CoreErrorCode.REVIEW_FORBIDDEN]: status.PERMISSION_DENIED,
  [CoreErrorCode.REVIEW_SAME_PERSON]: status.PERMISSION_DENIED,
  [CoreErrorCode.REVIEW_NOT_CLAIMANT]: status.FAILED_PRECONDITION,
  [CoreErrorCode.REVIEW_TOO_FAST]: status.FAILED_PRECONDITION,
  [CoreErrorCode.REVIEW_BAD_REASON]: status.INVALID_ARGUMENT,
  [CoreErrorCode.REVIEW_VERSION_CONFLICT]: status.ABORTED,
  [CoreErrorCode.CANCELLED]: status.CANCELLED,
};

/**
 * The only place a core error becomes a gRPC status. Unknown errors become INTERNAL with no
 * internals in the message; the caller logs them.
 */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof CoreError) {
    const code = STATUS_OF[err.code];
    const details = code === status.INTERNAL ? 'internal error' : err.message;
    const metadata = new Metadata();
    metadata.set('zebra-error-code', err.code);
    return { code, details, metadata };
  }
  return { code: status.INTERNAL, details: 'internal error' };
}

/**
 * The gRPC code name ("PERMISSION_DENIED") a call ends with, from its error or its core error
 * code, for metric labels: the same mapping as the status the caller gets.
 */
export function grpcCodeName(errOrCode: unknown): string {
  const code = errOrCode instanceof CoreError ? errOrCode.code : errOrCode;
  const known = typeof code === 'string' && Object.hasOwn(STATUS_OF, code);
  return status[known ? STATUS_OF[code as CoreErrorCode] : status.INTERNAL];
}
