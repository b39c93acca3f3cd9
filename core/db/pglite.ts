import { Worker } from 'node:worker_threads';
import { ownBytes } from '../transfer.js';
import type { Database, Transaction } from './database.js';
import type { PgliteErrorData, PgliteReply, PgliteRequest, PgliteStartup } from './pglite-protocol.js';

const ENTRY = new URL('./pglite-thread-entry.js', import.meta.url);

/** A request before it is numbered. */
type Request = PgliteRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Rows = { rows: unknown[]; rowCount: number };

function toError(data: PgliteErrorData): Error {
  const err = new Error(data.message);
  err.name = data.name;
  return Object.assign(err, data.fields);
}

/**
 * The PGlite thread: the embedded database runs on its own thread, so a long query never
 * blocks the core's event loop (ingest, gRPC, health), and SQL work runs beside the core's
 * own on a second core. Requests are answered in the order they are sent.
 */
class PgliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(r: Rows): void; reject(e: Error): void }>();
  #nextId = 1;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: PgliteReply) => this.#settle(reply));
    const fail = (err: Error): void => {
      this.#failure ??= err;
      for (const p of this.#pending.values()) p.reject(this.#failure);
      this.#pending.clear();
    };
    worker.on('error', (err) => fail(new Error(`the PGlite thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new Error(`the PGlite thread exited (code ${code})`)));
  }

  static async start(dataDir: string): Promise<PgliteThread> {
    const worker = new Worker(ENTRY, { workerData: { dataDir } });
    let onExit: ((code: number) => void) | undefined;
    let onError: ((err: Error) => void) | undefined;
    const startup = await new Promise<PgliteStartup>((resolve, reject) => {
      onError = reject;
      onExit = (code) => reject(new Error(`the PGlite thread exited (code ${code}) while opening ${dataDir}`));
      worker.once('message', resolve);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    worker.off('error', onError!);
    worker.off('exit', onExit!);
    if (!startup.ready) {
      await worker.terminate();
      throw toError(startup.error);
    }
    worker.unref();
    return new PgliteThread(worker);
  }

  #settle(reply: PgliteReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.ok) pending.resolve({ rows: reply.rows, rowCount: reply.rowCount });
    else pending.reject(toError(reply.error));
  }

  send(request: Request): Promise<Rows> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    // Referenced only while a request waits, so an idle database never keeps the process alive.
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise<Rows>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const message: PgliteRequest = { ...request, id };
      this.#worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    try {
      await this.send({ op: 'close' });
    } finally {
      await this.#worker.terminate();
    }
  }
}

/**
 * At most one transaction at a time, and no statement from outside it while it is open:
 * PGlite is one session, so a stray statement would otherwise run inside someone's transaction.
 * Callers test `isHeld` and act in the same synchronous step (no await in between).
 */
class TransactionGate {
  #held = false;
  #waiters: (() => void)[] = [];

  get isHeld(): boolean {
    return this.#held;
  }

  /** Resolves after the next release. */
  released(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Embedded PostgreSQL (PGlite, WebAssembly) in a data folder, on its own thread. One process owns the folder. */
export async function openPglite(dataDir: string): Promise<Database> {
  const thread = await PgliteThread.start(dataDir);
  const gate = new TransactionGate();
  const run = <R>(sql: string, params: readonly unknown[], begin = false) =>
    thread.send({
      op: 'query',
      sql,
      params: params.map((p) => (p instanceof Uint8Array ? ownBytes(p) : p)),
      ...(begin ? { begin } : {}),
    }) as Promise<{ rows: R[]; rowCount: number }>;
  return {
    kind: 'pglite',
    query: async <R>(sql: string, params: readonly unknown[] = []) => {
      while (gate.isHeld) await gate.released();
      return run<R>(sql, params);
    },
    async transaction(fn) {
      while (gate.isHeld) await gate.released();
      gate.hold();
      let isOpen = true;
      // BEGIN goes with the first statement: one round trip to the thread fewer.
      let began = false;
      const opens = (): boolean => {
        const begin = !began;
        began = true;
        return begin;
      };
      const tx: Transaction = {
        query: <R>(sql: string, params: readonly unknown[] = []) => {
          if (!isOpen) return Promise.reject(new Error('query on a transaction that has ended'));
          return run<R>(sql, params, opens());
        },
        exec: async (sql: string) => {
          if (!isOpen) throw new Error('exec on a transaction that has ended');
          const begin = opens();
          await thread.send({ op: 'exec', sql, ...(begin ? { begin } : {}) });
        },
      };
      try {
        const result = await fn(tx);
        isOpen = false;
        if (began) await run('COMMIT', []);
        return result;
      } catch (err) {
        isOpen = false;
        if (began) await run('ROLLBACK', []).catch(() => undefined);
        throw err;
      } finally {
        gate.release();
      }
    },
    exec: async (sql) => {
      while (gate.isHeld) await gate.released();
      await thread.send({ op: 'exec', sql });
    },
    close: () => thread.close(),
  };
}
