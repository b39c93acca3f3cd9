/**
 * The queue's filters, checked before they are sent: a value out of range is refused with a
 * message naming the field, never sent and silently ignored. Pure: no DOM, no clock but `nowMs`.
 */

export interface FilterInput {
  /** The chosen camera as `cameraKey` made it, or "" for every camera. */
  readonly camera: string;
  /** <input type=date> values: "YYYY-MM-DD" or "". */
  readonly since: string;
  readonly until: string;
  /** As typed: "" or a number from 0 to 1. */
  readonly minConfidence: string;
}

export interface QueueFilters {
  readonly siteId: string;
  readonly cameraId: string;
  readonly sinceMs: number;
  /** Exclusive: the start of the day after the "To" day. */
  readonly untilMs: number;
  readonly minConfidence: number;
}

export type FilterResult =
  { readonly ok: true; readonly filters: QueueFilters } | { readonly ok: false; readonly error: string };

const DAY_MS = 86_400_000;
/** Earliest day a filter may name: nothing in the system is older. */
export const EARLIEST_DAY = '2020-01-01';

function day(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value ? ms : undefined;
}

export function checkFilters(input: FilterInput, nowMs: number): FilterResult {
  const latest = Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS;
  const earliest = day(EARLIEST_DAY)!;
  let sinceMs = 0;
  let untilMs = 0;
  if (input.since) {
    const ms = day(input.since);
    if (ms === undefined) return { ok: false, error: '“From” is not a date.' };
    if (ms < earliest || ms > latest) return { ok: false, error: `“From” must be between ${EARLIEST_DAY} and today.` };
    sinceMs = ms;
  }
  if (input.until) {
    const ms = day(input.until);
    if (ms === undefined) return { ok: false, error: '“To” is not a date.' };
    if (ms < earliest || ms > latest) return { ok: false, error: `“To” must be between ${EARLIEST_DAY} and today.` };
    untilMs = ms + DAY_MS;
  }
  if (sinceMs && untilMs && sinceMs >= untilMs) return { ok: false, error: '“From” is after “To”.' };
  let minConfidence = 0;
  const typed = input.minConfidence.trim();
  if (typed) {
    const n = Number(typed);
    if (!Number.isFinite(n) || n < 0 || n > 1)
      return { ok: false, error: '“Minimum confidence” must be a number from 0 to 1, e.g. 0.8.' };
    minConfidence = n;
  }
  const camera = input.camera ? parseCameraKey(input.camera) : { siteId: '', cameraId: '' };
  if (!camera) return { ok: false, error: 'Choose a camera from the list.' };
  const { siteId, cameraId } = camera;
  return { ok: true, filters: { siteId, cameraId, sinceMs, untilMs, minConfidence } };
}

/** A camera as one <option> value (ids may hold any character, so not joined by one). */
export function cameraKey(siteId: string, cameraId: string): string {
  return JSON.stringify([siteId, cameraId]);
}

function parseCameraKey(key: string): { siteId: string; cameraId: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(key);
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string' && p.length > 0))
      return { siteId: parsed[0] as string, cameraId: parsed[1] as string };
  } catch {
    // not a key this page made
  }
  return undefined;
}
