import { JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs } from '../../proto/backoff.js';

/** nats-server's JSClusterNotAvailErr: "JetStream system temporarily unavailable" (no meta leader yet). */
const JS_CLUSTER_NOT_AVAILABLE = 10008;

/**
 * True for a JetStream API call that may succeed a moment later: no answer in time, nobody
 * answering the API subject yet, or a cluster still electing its leaders. A freshly booted
 * cluster answers like this for seconds while a stream just made elects its leader.
 */
export function isTransientJsError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof TimeoutError || e instanceof NoRespondersError) return true;
    if (e instanceof RequestError && e.isNoResponders()) return true;
    if (e instanceof JetStreamApiError && e.code === JS_CLUSTER_NOT_AVAILABLE) return true;
  }
  return false;
}

/**
 * Runs `call` again after a transient error (see isTransientJsError), backing off up to 2 s,
 * until `deadlineMs` has passed; then throws the last error, naming `what`.
 */
export async function retryTransientJs<T>(what: string, call: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  const giveUpAtMs = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTransientJsError(err) || Date.now() >= giveUpAtMs) {
        throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      await sleep(backoffDelayMs(attempt, { firstDelayMs: 100, maxDelayMs: 2_000 }));
    }
  }
}
