import type { InfractionEvent } from '../../proto/index.js';
import { findOutOfBounds } from '../input-bounds.js';

/** How far an event's times may stray from the moment the core receives it. */
export interface EventBounds {
  /** Ahead of the receive time: clock skew on the device. */
  readonly maxFutureSkewMs: number;
  /** Behind it: how long a site's spool may have held the event (a long outage). */
  readonly maxEventAgeMs: number;
}

export const DEFAULT_EVENT_BOUNDS: EventBounds = { maxFutureSkewMs: 5 * 60_000, maxEventAgeMs: 30 * 86_400_000 };

/** Strings in an event are ids, keys, versions and short details: nothing near this long. */
const EVENT_VALUE_BOUNDS = { maxStringLength: 1024, maxArrayLength: 10_000, maxDepth: 12 };

/** Every field holding a point in time ends in AtMs (occurredAtMs, signal.readAtMs, …). */
function timestamps(value: unknown, path: string, out: [string, number][]): [string, number][] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => timestamps(v, `${path}[${i}]`, out));
    return out;
  }
  for (const [key, child] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.endsWith('AtMs') && typeof child === 'number') out.push([at, child]);
    else timestamps(child, at, out);
  }
  return out;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Why a decoded event is out of bounds, or undefined when it is within them. Pure. occurred_at_ms
 * must lie in [receivedAtMs - maxEventAgeMs, receivedAtMs + maxFutureSkewMs]; any other time in
 * the event must be 0 (not set) or in the same window; strings are capped and free of NUL bytes.
 */
export function checkEventBounds(
  event: InfractionEvent,
  receivedAtMs: number,
  bounds: EventBounds,
): string | undefined {
  const generic = findOutOfBounds(event, EVENT_VALUE_BOUNDS);
  if (generic) return generic;
  const latest = receivedAtMs + bounds.maxFutureSkewMs;
  const earliest = receivedAtMs - bounds.maxEventAgeMs;
  for (const [path, ms] of timestamps(event, '', [])) {
    const name = path === 'occurredAtMs' ? 'occurred_at_ms' : path;
    if (ms === 0 && path !== 'occurredAtMs') continue;
    if (!Number.isFinite(ms)) return `${name} is not a finite number`;
    if (ms > latest)
      return `${name} ${ms} is in the future: more than ${bounds.maxFutureSkewMs} ms after the receive time ${iso(receivedAtMs)}`;
    if (ms < earliest)
      return `${name} ${ms} is older than ${bounds.maxEventAgeMs} ms before the receive time ${iso(receivedAtMs)} (ingest.maxEventAgeMs)`;
  }
  return undefined;
}

/** The keys of `o` whose values are set. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Why a tally's hour is out of the window, or undefined. The hour may start up to an hour before the age bound. */
export function checkTallyHour(hourStartMs: number, receivedAtMs: number, bounds: EventBounds): string | undefined {
  if (hourStartMs > receivedAtMs + bounds.maxFutureSkewMs)
    return `hour_start_ms ${hourStartMs} is in the future: more than ${bounds.maxFutureSkewMs} ms after the receive time ${iso(receivedAtMs)}`;
  if (hourStartMs < receivedAtMs - bounds.maxEventAgeMs - 3_600_000)
    return `hour_start_ms ${hourStartMs} is older than ${bounds.maxEventAgeMs} ms before the receive time ${iso(receivedAtMs)} (ingest.maxEventAgeMs)`;
  return undefined;
}
