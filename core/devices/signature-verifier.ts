import { Worker } from 'node:worker_threads';
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
  #worker: Worker | undefined;
  readonly #pending = new Map<number, { resolve(v: Uint8Array): void; reject(e: Error): void }>();
  #queued: { job: VerifyJob; resolve(ok: boolean): void; reject(e: Error): void }[] = [];
  #nextId = 1;
  #closed = false;

  /** Resolves true when the signature verifies against the key. */
  verify(job: VerifyJob): Promise<boolean> {
    if (this.#closed) return Promise.reject(new Error('the signature verifier is closed'));
    return new Promise<boolean>((resolve, reject) => {
      if (this.#queued.length === 0) setImmediate(() => this.#flush());
      this.#queued.push({ job, resolve, reject });
    });
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(ENTRY);
    const fail = (message: string): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(new Error(message));
      this.#pending.clear();
    };
    worker.on('message', (reply: VerifyReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      pending?.resolve(reply.verified);
    });
    worker.on('error', (err) => fail(`the signature thread failed: ${err.message}`));
    worker.on('exit', (code) => fail(`the signature thread exited (code ${code})`));
    this.#worker = worker;
    return worker;
  }

  #flush(): void {
    const queued = this.#queued;
    this.#queued = [];
    if (queued.length === 0) return;
    const id = this.#nextId++;
    const worker = this.#thread();
    if (this.#pending.size === 0) worker.ref();
    this.#pending.set(id, {
      resolve: (verified) => queued.forEach((q, i) => q.resolve(verified[i] === 1)),
      reject: (err) => queued.forEach((q) => q.reject(err)),
    });
    worker.postMessage({
      id,
      jobs: queued.map(({ job }) => ({ ...job, payload: ownBytes(job.payload) })),
    } satisfies VerifyRequest);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#worker?.terminate();
    this.#worker = undefined;
  }
}
