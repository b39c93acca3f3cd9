import { JetStreamApiError } from '@nats-io/jetstream';

/**
 * The JetStream API error codes the edge acts on (nats-server's errors.json), matched by code,
 * never by the server's wording. Seen on nats-server 2.9.10: a discard-new stream or object
 * store at its limits answers 10077 ("maximum messages/bytes exceeded"); deleting a message that
 * is not there answers 10057 ("no message found", or "stream store EOF" past the last one).
 */
export const JS_ERR_CODE = {
  insufficientResources: 10023,
  noMessageFound: 10037,
  messageDeleteFailed: 10057,
  storeFailed: 10077,
} as const;

/** The JetStream API error code of `err` or of an error in its `cause` chain, if any. */
export function jetStreamErrorCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof JetStreamApiError) return e.code;
  return undefined;
}

/** True for a JetStream refusal because a discard-new stream (the site outbox) is full. */
export function isOutboxFullError(err: unknown): boolean {
  const code = jetStreamErrorCode(err);
  return code === JS_ERR_CODE.storeFailed || code === JS_ERR_CODE.insufficientResources;
}

/** True when the message a purge names is not (or no longer) in the stream. */
export function isMessageGone(err: unknown): boolean {
  const code = jetStreamErrorCode(err);
  return code === JS_ERR_CODE.noMessageFound || code === JS_ERR_CODE.messageDeleteFailed;
}
