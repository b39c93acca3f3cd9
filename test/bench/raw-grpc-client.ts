import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';

/**
 * A minimal gRPC unary client over one HTTP/2 connection: pre-encoded request bytes in, the
 * response status out. It speaks the real protocol (length-prefixed messages, grpc-status
 * trailers) with none of grpc-js's channel machinery, so a load generator that shares the
 * machine with the server takes as little CPU from it as possible. Bench use only.
 */
export class RawGrpcClient {
  readonly #session: ClientHttp2Session;
  readonly #headers: Record<string, string>;

  constructor(address: string, token: string, ca: Buffer) {
    this.#session = connect(`https://${address}`, { ca });
    this.#session.on('error', () => undefined);
    this.#headers = {
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${token}`,
      'grpc-timeout': '10S',
    };
  }

  /** Sends one request; resolves with the response message bytes, rejects on a non-OK status. */
  call(path: string, message: Uint8Array): Promise<Buffer> {
    const frame = Buffer.allocUnsafe(5 + message.length);
    frame.writeUInt8(0, 0);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    return new Promise((resolve, reject) => {
      const stream = this.#session.request({ ':method': 'POST', ':path': path, ...this.#headers });
      const chunks: Buffer[] = [];
      let grpcStatus: string | undefined;
      let grpcMessage = '';
      const take = (headers: Record<string, string | string[] | number | undefined>): void => {
        const status = headers['grpc-status'];
        const message = headers['grpc-message'];
        if (status !== undefined) grpcStatus = String(status);
        if (typeof message === 'string') grpcMessage = message;
      };
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('end', () => {
        if (grpcStatus !== '0')
          return reject(new Error(`grpc-status ${grpcStatus}: ${decodeURIComponent(grpcMessage)}`));
        resolve(Buffer.concat(chunks).subarray(5));
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.#session.close();
  }
}
