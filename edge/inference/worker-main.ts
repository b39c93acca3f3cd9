// Runs inside the inference worker thread: loads the sessions once, then answers requests in order.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { UltrafaceOnnxDetector } from '../detect/face-detector.js';
import { YoloxOnnxDetector } from '../detect/onnx-detector.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { InferenceReply, InferenceRequest, InferenceWorkerInit, WorkerStartup } from './protocol.js';

function codeOf(err: unknown): string {
  return err instanceof EdgeError ? err.code : EdgeErrorCode.DETECTOR_FAILED;
}

/** Lowers this thread's priority; where the OS refuses, the thread keeps the default. */
function lowerPriority(niceness: number | undefined): void {
  if (niceness === undefined) return;
  try {
    setPriority(0, niceness); // pid 0: on Linux, the calling thread only
  } catch {
    // not permitted here: run at the default priority
  }
}

/** This thread's OS id (Linux), or undefined where /proc/thread-self is missing. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return undefined;
  }
}

async function serve(init: InferenceWorkerInit): Promise<void> {
  const port = parentPort!;
  lowerPriority(init.niceness);
  let persons: YoloxOnnxDetector;
  let faces: UltrafaceOnnxDetector | undefined;
  try {
    persons = await YoloxOnnxDetector.create(init.persons.path, init.persons.entry, init.persons.options);
    if (init.faces)
      faces = await UltrafaceOnnxDetector.create(
        init.faces.path,
        init.faces.entry,
        init.faces.options,
        init.faces.small,
      );
  } catch (err) {
    port.postMessage({ ready: false, code: codeOf(err), message: errorMessage(err) } satisfies WorkerStartup);
    return;
  }
  // One request at a time, in arrival order: the sessions use one intra-op thread each.
  let queue = Promise.resolve();
  port.on('message', (request: InferenceRequest) => {
    queue = queue.then(async () => port.postMessage(await answer(request)));
  });
  port.postMessage({ ready: true, osThreadId: osThreadId() } satisfies WorkerStartup);

  async function answer(request: InferenceRequest): Promise<InferenceReply> {
    const rgb = Buffer.from(request.rgb.buffer, request.rgb.byteOffset, request.rgb.byteLength);
    const startedAt = performance.now();
    try {
      if (request.kind === 'persons') {
        const found = await persons.detect(rgb, request.widthPx, request.heightPx);
        return { id: request.id, persons: found, inferMs: performance.now() - startedAt };
      }
      if (!faces) throw new EdgeError(EdgeErrorCode.DETECTOR_FAILED, 'no face model was loaded in this worker');
      const found = request.windows
        ? await faces.detectFacesIn(rgb, request.widthPx, request.heightPx, request.windows)
        : await faces.detectFaces(rgb, request.widthPx, request.heightPx);
      return { id: request.id, faces: found, inferMs: performance.now() - startedAt };
    } catch (err) {
      return { id: request.id, error: { code: codeOf(err), message: errorMessage(err) } };
    }
  }
}

void serve(workerData as InferenceWorkerInit);
