import type { JsMsg } from '@nats-io/jetstream';

/**
 * Groups messages as they arrive: each batch holds every message already delivered, up to
 * `maxBatch`, so a backlog is stored in few transactions while a trickle still goes one by
 * one without waiting. Stream order is kept.
 */
export class MessageBatcher implements AsyncIterable<JsMsg[]> {
  readonly #source: AsyncIterable<JsMsg>;
  readonly #maxBatch: number;

  constructor(source: AsyncIterable<JsMsg>, maxBatch: number) {
    this.#source = source;
    this.#maxBatch = maxBatch;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JsMsg[]> {
    const buffered: JsMsg[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    let resumePump: (() => void) | undefined;
    const pump = (async () => {
      for await (const msg of this.#source) {
        buffered.push(msg);
        wake?.();
        // Hold the pump while a full backlog waits, so at most two batches sit in memory.
        if (buffered.length >= 2 * this.#maxBatch) await new Promise<void>((r) => (resumePump = r));
      }
    })().finally(() => {
      ended = true;
      wake?.();
    });
    for (;;) {
      if (buffered.length === 0) {
        if (ended) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      const batch = buffered.splice(0, this.#maxBatch);
      resumePump?.();
      resumePump = undefined;
      yield batch;
    }
    await pump;
  }
}
