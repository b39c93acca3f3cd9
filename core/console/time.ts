/// <reference lib="dom" />
/** Times for people: UTC, to the millisecond where a reviewer compares moments. */

/** The last millisecond of the year 9999: later times do not print as YYYY-MM-DD. */
const LAST_MS = 253_402_300_799_999;

/**
 * A Date for `ms`; undefined when unset (0 or less) or no time a four-digit year holds (the
 * console never throws on stored data, and never prints garbage for it).
 */
function dateOf(ms: number): Date | undefined {
  if (!Number.isFinite(ms) || ms <= 0 || ms > LAST_MS) return undefined;
  return new Date(ms);
}

/** "2026-01-02 03:04:05.678 UTC"; "not recorded" when unset. */
export function dateTimeMs(ms: number): string {
  const date = dateOf(ms);
  return date ? `${date.toISOString().replace('T', ' ').slice(0, 23)} UTC` : 'not recorded';
}

/** "2026-01-02 03:04:05 UTC"; "not recorded" when unset. */
export function dateTimeSeconds(ms: number): string {
  const date = dateOf(ms);
  return date ? `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC` : 'not recorded';
}

/** "2026-01-02 03:04 UTC"; "not recorded" when unset. */
export function dateTimeMinutes(ms: number): string {
  const date = dateOf(ms);
  return date ? `${date.toISOString().replace('T', ' ').slice(0, 16)} UTC` : 'not recorded';
}

/** "03:04:05.678" (UTC); "not recorded" when unset. */
export function clockMs(ms: number): string {
  const date = dateOf(ms);
  return date ? date.toISOString().slice(11, 23) : 'not recorded';
}

/** "03:04:05" (UTC); "not recorded" when unset. */
export function clockSeconds(ms: number): string {
  const date = dateOf(ms);
  return date ? date.toISOString().slice(11, 19) : 'not recorded';
}

/** A signed duration in words with milliseconds: "+1.250 s", "-0.600 s". */
export function offsetSeconds(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  return `${sign}${(Math.abs(ms) / 1000).toFixed(3)} s`;
}

/** "4.2 s", "12 min 5 s", "1 h 2 min". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'not recorded';
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const min = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return h > 0 ? `${h} h ${min} min` : `${min} min ${s} s`;
}

/** The local calendar day of an <input type=date> value as UTC ms at its start; NaN when empty or invalid. */
export function dayStartMs(value: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
}
