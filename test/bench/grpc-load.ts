/** Worker for bench:core: drives the gRPC API from its own thread, as a separate client would. */
import { parentPort, workerData } from 'node:worker_threads';
import { ApiClient } from '../../cli/api-client.js';
import { measure } from './measure.js';
import type { Measurement } from './measure.js';

export interface LoadRequest {
  readonly address: string;
  readonly token: string;
  readonly label: string;
  readonly path: string;
  /** Requests to cycle through. */
  readonly requests: readonly Record<string, unknown>[];
  readonly options: { durationMs: number; concurrency: number; warmupMs: number };
}

const job = workerData as LoadRequest;
const client = new ApiClient(job.address, job.token);
const result: Measurement = await measure(
  job.label,
  (i) => client.call(job.path, job.requests[i % job.requests.length]),
  job.options,
);
client.close();
parentPort!.postMessage(result);
