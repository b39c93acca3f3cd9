import { WorkerRpc } from '../../proto/worker-rpc.js';
import type { Unnumbered } from '../../proto/worker-rpc.js';
import { ownBytes } from '../transfer.js';
import type { Database, Transaction } from './database.js';
import type { PgliteErrorData, PgliteReply, PgliteRequest, PgliteStartup } from './pglite-protocol.js';

const ENTRY = new URL('./pglite-thread-entry.js', import.meta.url);

type Rows = { rows: unknown[]; rowCount: number };

function toError(data: PgliteErrorData): Error {
  const err = new Error(data.message);
  err.name = data.name;
  return Object.assign(err, data.fields);
}

/**
 * The PGlite thread: the embedded database runs on its own thread, so a long query never
 * blocks the core's event loop (ingest, gRPC, health), and SQL work runs beside the core's
 * own on a second core. Requests are answered in the order they are sent. A thread that dies
 * is not restarted: every later statement fails with the reason.
 */
class PgliteThread {
  readonly #rpc: WorkerRpc<PgliteRequest, PgliteReply>;

  private constructor(rpc: WorkerRpc<PgliteRequest, PgliteReply>) {
    this.#rpc = rpc;
  }

  static async start(dataDir: string): Promise<PgliteThread> {
    const { rpc, startup } = await WorkerRpc.startWithHandshake<PgliteRequest, PgliteReply, PgliteStartup>({
      entry: ENTRY,
      workerData: { dataDir },
      name: 'the PGlite thread',
      // Referenced only while a request waits, so an idle database never keeps the process alive.
      unrefWhenIdle: true,
    });
    if (!startup.ready) {
      await rpc.terminate();
      throw toError(startup.error);
    }
    return new PgliteThread(rpc);
  }

  async send(request: Unnumbered<PgliteRequest>): Promise<Rows> {
    const reply = await this.#rpc.request(request);
    if (!reply.ok) throw toError(reply.error);
    return { rows: reply.rows, rowCount: reply.rowCount };
  }

  async close(): Promise<void> {
    try {
      await this.send({ op: 'close' });
    } finally {
      await this.#rpc.terminate();
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
