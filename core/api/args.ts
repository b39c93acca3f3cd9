import { CoreError, CoreErrorCode } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;

export function requireUuid(name: string, value: string): string {
  if (!UUID.test(value)) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${name} must be a UUID`);
  return value.toLowerCase();
}

export function requireText(name: string, value: string, maxLength = 500): string {
  const text = value.trim();
  if (!text) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${name} is required`);
  if (text.length > maxLength)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${name} is longer than ${maxLength} characters`);
  return text;
}

/** Decisions and other writes must say which version they were made against. */
export function requireVersion(value: number): number {
  if (!(value > 0))
    throw new CoreError(
      CoreErrorCode.INVALID_ARGUMENT,
      'expected_version is required: send the version you read (GetReviewItem), so no one decides on stale data',
    );
  return value;
}

/** [since, until) from a request; defaults to the last `defaultDays` days. */
export function period(sinceMs: number, untilMs: number, nowMs: number, defaultDays = 30): [number, number] {
  const until = untilMs > 0 ? untilMs : nowMs;
  const since = sinceMs > 0 ? sinceMs : until - defaultDays * DAY_MS;
  if (since >= until) throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'since_ms must be before until_ms');
  return [since, until];
}
