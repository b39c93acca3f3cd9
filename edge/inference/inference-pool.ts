import { WorkerRpc } from '../../proto/worker-rpc.js';
import type { Detection, Detector } from '../detect/detection.js';
import type { FaceDetector } from '../detect/face-detector.js';
import type { FaceBox } from '../detect/ultraface.js';
import type { FaceWindow } from '../detect/face-windows.js';
import { EdgeError, EdgeErrorCode } from '../errors.js';
import type { EdgeErrorCode as Code } from '../errors.js';
import type { Logger } from '../logger.js';
import type {
  InferenceKind,
  InferenceReply,
  InferenceRequest,
  InferenceWorkerInit,
  WorkerStartup,
} from './protocol.js';

const ENTRY = new URL('./worker-entry.js', import.meta.url);
const FACE_NICENESS = 10;

type Rpc = WorkerRpc<InferenceRequest, InferenceReply>;

/** One worker thread holding one session per model. Restarted on the next request after it dies. */
class InferenceThread {
  readonly #init: InferenceWorkerInit;
  readonly #logger: Logger;
  #rpc: Promise<Rpc> | undefined;
  #live: Rpc | undefined;
  #closed = false;
  #osThreadId: number | undefined;

  constructor(init: InferenceWorkerInit, logger: Logger) {
    this.#init = init;
    this.#logger = logger;
  }

  get inFlight(): number {
    return this.#live?.inFlight ?? 0;
  }

  /** The running worker's OS thread id (Linux), once it has started. */
  get osThreadId(): number | undefined {
    return this.#osThreadId;
  }

  start(): Promise<Rpc> {
    this.#rpc ??= this.#spawn().catch((err: unknown) => {
      this.#rpc = undefined;
      throw err;
    });
    return this.#rpc;
  }

  async #spawn(): Promise<Rpc> {
    const { rpc, startup } = await WorkerRpc.startWithHandshake<InferenceRequest, InferenceReply, WorkerStartup>({
      entry: ENTRY,
      workerData: this.#init,
      name: 'the inference worker',
      toError: (message, cause) => new EdgeError(EdgeErrorCode.DETECTOR_FAILED, message, cause ? { cause } : undefined),
      onFailure: (_, { err, exitCode }) => {
        this.#rpc = undefined;
        this.#live = undefined;
        if (err) this.#logger.error({ err }, 'inference worker failed; restarting on next request');
        else this.#logger.error({ exitCode }, 'inference worker exited; restarting on next request');
      },
    });
    if (!startup.ready) {
      await rpc.terminate();
      throw new EdgeError(startup.code as Code, startup.message);
    }
    this.#osThreadId = startup.osThreadId;
    this.#live = rpc;
    return rpc;
  }

  async request(
    kind: InferenceKind,
    rgb: Buffer,
    widthPx: number,
    heightPx: number,
    windows?: readonly FaceWindow[],
  ): Promise<InferenceReply> {
    if (this.#closed) throw new EdgeError(EdgeErrorCode.DETECTOR_FAILED, 'the inference pool is closed');
    const rpc = await this.start();
    // The frame is copied, not transferred: the ring keeps it for evidence.
    return rpc.request({ kind, rgb, widthPx, heightPx, windows });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const rpc = this.#rpc;
    this.#rpc = undefined;
    this.#live = undefined;
    if (rpc) await (await rpc.catch(() => undefined))?.terminate();
  }
}

function unwrap(reply: InferenceReply): InferenceReply {
  if ('error' in reply) throw new EdgeError(reply.error.code as Code, reply.error.message);
  return reply;
}

/**
 * Person and face inference in worker threads, so the event loop never waits on a model.
 * Each thread creates its sessions once. Person detection has the first thread; faces the rest.
 */
export class InferencePool {
  readonly persons: Detector;
  readonly faces: FaceDetector;
  readonly #threads: InferenceThread[];
  readonly #personThreads: readonly InferenceThread[];
  readonly #faceThreads: readonly InferenceThread[];

  private constructor(threads: InferenceThread[], init: InferenceWorkerInit) {
    this.#threads = threads;
    // With two or more threads, person detection keeps the first to itself, so the frame loop
    // never waits behind evidence redaction; faces use the others. One thread serves both.
    const personThreads = threads.slice(0, 1);
    const faceThreads = threads.length > 1 ? threads.slice(1) : threads;
    this.#personThreads = personThreads;
    this.#faceThreads = faceThreads;
    const leastBusy = (from: readonly InferenceThread[]): InferenceThread =>
      from.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const personsModel = { id: init.persons.entry.id, sha256: init.persons.entry.sha256 };
    const facesModel = { id: init.faces?.entry.id ?? 'none', sha256: init.faces?.entry.sha256 ?? '' };
    const small = init.faces?.small?.entry;
    const dispose = (): Promise<void> => this.close();
    this.persons = {
      model: personsModel,
      async detect(rgb: Buffer, widthPx: number, heightPx: number): Promise<Detection[]> {
        const reply = unwrap(await leastBusy(personThreads).request('persons', rgb, widthPx, heightPx));
        return 'persons' in reply ? reply.persons : [];
      },
      dispose,
    };
    const [, , faceHeightPx, faceWidthPx] = init.faces?.entry.spec?.inputs[0]?.shape ?? [1, 3, 480, 640];
    this.faces = {
      model: facesModel,
      ...(small ? { smallModel: { id: small.id, sha256: small.sha256 } } : {}),
      inputSizePx: { widthPx: faceWidthPx ?? 640, heightPx: faceHeightPx ?? 480 },
      async detectFaces(rgb: Buffer, widthPx: number, heightPx: number): Promise<FaceBox[]> {
        const reply = unwrap(await leastBusy(faceThreads).request('faces', rgb, widthPx, heightPx));
        return 'faces' in reply ? reply.faces : [];
      },
      async detectFacesIn(
        rgb: Buffer,
        widthPx: number,
        heightPx: number,
        windows: readonly FaceWindow[],
      ): Promise<FaceBox[]> {
        if (windows.length === 0) return [];
        const reply = unwrap(await leastBusy(faceThreads).request('faces', rgb, widthPx, heightPx, windows));
        return 'faces' in reply ? reply.faces : [];
      },
      dispose,
    };
  }

  /** Starts `threads` workers and waits until each has loaded and checked its models. */
  static async start(init: InferenceWorkerInit, threads: number, logger: Logger): Promise<InferencePool> {
    // With two or more threads the first detects persons at normal priority; the others
    // redact evidence at a lower one.
    const all = Array.from(
      { length: threads },
      (_, i) => new InferenceThread(i === 0 || threads === 1 ? init : { ...init, niceness: FACE_NICENESS }, logger),
    );
    const pool = new InferencePool(all, init);
    try {
      await Promise.all(all.map((t) => t.start()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** OS thread ids of the workers (Linux), by what they run: for per-thread CPU in benches. */
  osThreadIds(): { readonly persons: number[]; readonly faces: number[] } {
    const ids = (from: readonly InferenceThread[]): number[] =>
      from.flatMap((t) => (t.osThreadId === undefined ? [] : [t.osThreadId]));
    return { persons: ids(this.#personThreads), faces: ids(this.#faceThreads) };
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.close()));
  }
}
