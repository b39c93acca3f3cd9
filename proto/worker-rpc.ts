import { Worker } from 'node:worker_threads';
import type { TransferListItem } from 'node:worker_threads';

/**
 * Numbered request/reply over one worker thread: the one helper behind the inference threads
 * (edge), the PGlite thread and the signature thread (core). A request carries `id`; the thread
 * answers with the same `id`, in any order. When the thread fails or exits, every waiting
 * request is rejected and so is every later one: the owner starts a new WorkerRpc to restart.
 */
export interface WorkerRpcOptions {
  /** The thread's entry module. */
  readonly entry: URL;
  readonly workerData?: unknown;
  /** Names the thread in error messages ("the PGlite thread"). */
  readonly name: string;
  /** Keeps the process alive only while a request waits (an idle thread never holds it open). */
  readonly unrefWhenIdle?: boolean;
  /** Builds the error that waiting requests are rejected with (the side's own error type). */
  readonly toError?: (message: string, cause?: Error) => Error;
  /** Told once when the thread fails or exits while not closed. */
  readonly onFailure?: (failure: Error, detail: { readonly err?: Error; readonly exitCode?: number }) => void;
}

type Numbered = { readonly id: number };
/** A request before it is numbered. */
export type Unnumbered<R> = R extends Numbered ? Omit<R, 'id'> : never;

const defaultError = (message: string, cause?: Error): Error => new Error(message, cause ? { cause } : undefined);

export class WorkerRpc<Req extends Numbered, Rep extends Numbered> {
  readonly #worker: Worker;
  readonly #options: WorkerRpcOptions;
  readonly #pending = new Map<number, { resolve(reply: Rep): void; reject(err: Error): void }>();
  #nextId = 1;
  #failure: Error | undefined;
  #closed = false;

  private constructor(worker: Worker, options: WorkerRpcOptions) {
    this.#worker = worker;
    this.#options = options;
    const toError = options.toError ?? defaultError;
    worker.on('message', (reply: Rep) => this.#settle(reply));
    worker.on('error', (err) => this.#fail(toError(`${options.name} failed: ${err.message}`, err), { err }));
    worker.on('exit', (exitCode) => this.#fail(toError(`${options.name} exited (code ${exitCode})`), { exitCode }));
    if (options.unrefWhenIdle) worker.unref();
  }

  /** Starts the thread; requests may be sent at once (the thread queues them until it listens). */
  static start<Req extends Numbered, Rep extends Numbered>(options: WorkerRpcOptions): WorkerRpc<Req, Rep> {
    return new WorkerRpc<Req, Rep>(new Worker(options.entry, { workerData: options.workerData }), options);
  }

  /**
   * Starts the thread and waits for its first message, the startup report (`ready` or not),
   * before any request. A thread that exits or fails before it reports rejects.
   */
  static async startWithHandshake<Req extends Numbered, Rep extends Numbered, Startup>(
    options: WorkerRpcOptions,
  ): Promise<{ readonly rpc: WorkerRpc<Req, Rep>; readonly startup: Startup }> {
    const worker = new Worker(options.entry, { workerData: options.workerData });
    const toError = options.toError ?? defaultError;
    let onError: ((err: Error) => void) | undefined;
    let onExit: ((code: number) => void) | undefined;
    try {
      const startup = await new Promise<Startup>((resolve, reject) => {
        onError = (err) => reject(toError(`${options.name} failed: ${err.message}`, err));
        onExit = (code) => reject(toError(`${options.name} exited (code ${code}) while starting`));
        worker.once('message', resolve);
        worker.once('error', onError);
        worker.once('exit', onExit);
      });
      return { rpc: new WorkerRpc<Req, Rep>(worker, options), startup };
    } finally {
      worker.off('error', onError!);
      worker.off('exit', onExit!);
    }
  }

  /** Requests waiting for their reply. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Why the thread stopped answering, once it has. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  request(body: Unnumbered<Req>, transfer?: readonly TransferListItem[]): Promise<Rep> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    if (this.#options.unrefWhenIdle && this.#pending.size === 0) this.#worker.ref();
    return new Promise<Rep>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id }, transfer);
    });
  }

  #settle(reply: Rep): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#options.unrefWhenIdle && this.#pending.size === 0) this.#worker.unref();
    pending.resolve(reply);
  }

  #fail(failure: Error, detail: { readonly err?: Error; readonly exitCode?: number }): void {
    if (this.#failure) return;
    this.#failure = failure;
    for (const p of this.#pending.values()) p.reject(failure);
    this.#pending.clear();
    if (!this.#closed) this.#options.onFailure?.(failure, detail);
  }

  /** Stops the thread; waiting requests are rejected. */
  async terminate(): Promise<void> {
    this.#closed = true;
    await this.#worker.terminate();
  }
}
