import { CoreError, CoreErrorCode } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z: the last instant PostgreSQL and Date both handle everywhere. */
export const MAX_EPOCH_MS = 253_402_300_799_999;

function invalid(message: string): CoreError {
  return new CoreError(CoreErrorCode.INVALID_ARGUMENT, message);
}

export function requireUuid(name: string, value: string): string {
  if (!UUID.test(value)) throw invalid(`${name} must be a UUID`);
  return value.toLowerCase();
}

/** Trimmed text of at most `maxLength` characters, with no NUL or other control characters. */
export function optionalText(name: string, value: string, maxLength = 500): string {
  const text = value.trim();
  if (text.length > maxLength) throw invalid(`${name} is longer than ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text))
    throw invalid(`${name} contains a NUL byte or another control character`);
  return text;
}

export function requireText(name: string, value: string, maxLength = 500): string {
  const text = optionalText(name, value, maxLength);
  if (!text) throw invalid(`${name} is required`);
  return text;
}

/** Decisions and other writes must say which version they were made against. */
export function requireVersion(value: number): number {
  if (!(value > 0))
    throw invalid(
      'expected_version is required: send the version you read (GetReviewItem), so no one decides on stale data',
    );
  if (!Number.isSafeInteger(value)) throw invalid('expected_version must be a whole number');
  return value;
}

/**
 * A page size in the request field `name`: 0 means `defaultSize`, above `maxSize` is capped;
 * negative or fractional is refused, naming the field.
 */
export function pageSize(value: number, defaultSize: number, maxSize: number, name = 'page_size'): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be a whole number, 0 or more`);
  return value === 0 ? defaultSize : Math.min(value, maxSize);
}

/** A duration in ms: 0 means "the default" (returns 0); otherwise 1 … maxMs. */
export function durationMs(name: string, value: number, maxMs: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > maxMs)
    throw invalid(`${name} must be a whole number of ms from 0 (the default) to ${maxMs}`);
  return value;
}

/** An epoch time in ms: 0 (not set) up to the year 9999. */
export function epochMs(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_EPOCH_MS)
    throw invalid(`${name} must be an epoch time in ms between 0 and ${MAX_EPOCH_MS}`);
  return value;
}

/** A share between 0 and 1. */
export function fraction(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw invalid(`${name} must be between 0 and 1`);
  return value;
}

/** [since, until) from a request; defaults to the last `defaultDays` days. */
export function period(sinceMs: number, untilMs: number, nowMs: number, defaultDays = 30): [number, number] {
  epochMs('since_ms', sinceMs);
  epochMs('until_ms', untilMs);
  const until = untilMs > 0 ? untilMs : nowMs;
  const since = sinceMs > 0 ? sinceMs : until - defaultDays * DAY_MS;
  if (since >= until) throw invalid('since_ms must be before until_ms');
  return [since, until];
}
