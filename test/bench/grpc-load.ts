/** Worker for bench:core: drives the gRPC API from its own thread, as a separate client would. */
import { parentPort, workerData } from 'node:worker_threads';
import { ApiClient } from '../../cli/api-client.js';
import { API_METHODS, API_SERVICES } from '../../core/index.js';
import { testClientTls } from '../harness/pki.js';
import { RawGrpcClient } from './raw-grpc-client.js';
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
  /** grpc-js (the full client) or a minimal HTTP/2 gRPC client that costs the machine less CPU. */
  readonly client: 'grpc-js' | 'raw';
}

interface Definition {
  readonly path: string;
  requestSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}

const job = workerData as LoadRequest;
// The bench's CA: the parent made it and named its folder in the environment this thread inherited.
const tls = await testClientTls();
let result: Measurement;
if (job.client === 'raw') {
  const method = API_METHODS.get(job.path)!;
  const definition = API_SERVICES.flatMap((s) =>
    Object.values(s.definition as unknown as Record<string, Definition>),
  ).find((d) => d.path === job.path)!;
  const encoded = job.requests.map((r) => definition.requestSerialize(method.request.fromJSON(r)));
  const client = new RawGrpcClient(job.address, job.token, tls.ca);
  // Each answer decoded, as a real client must (the direct-call baseline returns decoded rows).
  result = await measure(
    job.label,
    async (i) => definition.responseDeserialize(await client.call(job.path, encoded[i % encoded.length]!)),
    job.options,
  );
  client.close();
} else {
  const client = new ApiClient(job.address, job.token, tls);
  result = await measure(job.label, (i) => client.call(job.path, job.requests[i % job.requests.length]), job.options);
  client.close();
}
parentPort!.postMessage(result);
