import { execFile } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { OnReadOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A named pipe in a temporary folder of its own; `dispose` removes both. */
export interface Fifo {
  readonly path: string;
  dispose(): Promise<void>;
}

export async function makeFifo(): Promise<Fifo> {
  const dir = await mkdtemp(join(tmpdir(), 'zebra-frames-'));
  const path = join(dir, 'frames.rgb');
  try {
    await promisify(execFile)('mkfifo', ['-m', '600', path]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { path, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Opens the reading end of a named pipe as a socket that reads straight into the buffers
 * `onread` hands it: no chunk is allocated per read. (A child's stdout pipe allocates a new
 * 64 KiB buffer for every read; at 60 frames a second that was 80 MB/s of garbage, and the
 * collections it caused were most of the event loop's long pauses.) Opened non-blocking, so
 * this returns before the writer opens its end; on Linux the socket sees no end of stream
 * until a writer has come and gone.
 */
export function openFifoReader(path: string, onread: OnReadOpts): Socket {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  // `onread` is accepted by the constructor (documented), though @types/node lists it for connect() only.
  return new Socket({ fd, readable: true, writable: false, onread } as ConstructorParameters<typeof Socket>[0]);
}
