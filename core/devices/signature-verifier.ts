import { WorkerRpc } from '../../proto/worker-rpc.js';
import { ownBytes } from '../transfer.js';
import type { VerifyJob, VerifyReply, VerifyRequest } from './verify-protocol.js';

const ENTRY = new URL('./verify-thread-entry.js', import.meta.url);

/**
 * Ed25519 verification of device-signed events on a thread of its own. Requests made in the
 * same turn of the event loop go to the thread as one message, so ingest pays one message per
 * batch instead of WebCrypto's per-call overhead (about 45 µs an event on the event loop).
 * A thread that dies is started again on the next request; the requests it held fail, and
 * ingest takes those events down its one-message path.
 */
export class SignatureVerifier {
  #thread: WorkerRpc<VerifyRequest, VerifyReply> | undefined;
  #queued: { job: VerifyJob; resolve(ok: boolean): void; reject(e: Error): void }[] = [];
  #closed = false;

  /** Resolves true when the signature verifies against the key. */
  verify(job: VerifyJob): Promise<boolean> {
    if (this.#closed) return Promise.reject(new Error('the signature verifier is closed'));
    return new Promise<boolean>((resolve, reject) => {
      if (this.#queued.length === 0) setImmediate(() => this.#flush());
      this.#queued.push({ job, resolve, reject });
    });
  }

  /** The running thread, or a new one when there is none or the last one died. */
  #running(): WorkerRpc<VerifyRequest, VerifyReply> {
    if (!this.#thread || this.#thread.failure)
      this.#thread = WorkerRpc.start({ entry: ENTRY, name: 'the signature thread', unrefWhenIdle: true });
    return this.#thread;
  }

  #flush(): void {
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length === 0) return;
    this.#running()
      .request({ jobs: queued.map(({ job }) => ({ ...job, payload: ownBytes(job.payload) })) })
      .then(
        ({ verified }) => queued.forEach((q, i) => q.resolve(verified[i] === 1)),
        (err: Error) => queued.forEach((q) => q.reject(err)),
      );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#thread?.terminate();
    this.#thread = undefined;
  }
}
