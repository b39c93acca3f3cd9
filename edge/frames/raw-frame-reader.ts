import type { Readable } from 'node:stream';

/**
 * Frame pixels live in shared memory, so handing a frame to an inference worker passes a
 * reference instead of copying 1.3 MB each way. Nothing writes a frame after it is decoded.
 */
function newFrameBuffer(frameBytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(frameBytes));
}

/**
 * Cuts a raw video byte stream into fixed-size frames. Pipe chunks are copied once, straight
 * into their frame; up to `maxQueued` whole frames are read ahead (so the decoder runs on its
 * own core meanwhile), then the stream is paused until the consumer catches up.
 */
export class RawFrameReader implements AsyncIterable<Buffer> {
  readonly #stream: Readable;
  readonly #frameBytes: number;
  readonly #maxQueued: number;
  readonly #queue: Buffer[] = [];
  #frame: Buffer;
  #filled = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(stream: Readable, frameBytes: number, maxQueued: number) {
    this.#stream = stream;
    this.#frameBytes = frameBytes;
    this.#maxQueued = maxQueued;
    this.#frame = newFrameBuffer(frameBytes);
    stream.on('data', (chunk: Buffer) => this.#take(chunk));
    stream.once('end', () => this.#finish());
    stream.once('close', () => this.#finish());
    stream.once('error', (err) => {
      this.#error = err;
      this.#finish();
    });
  }

  /** Bytes of a last, incomplete frame when the stream ended (0 when it ended on a frame boundary). */
  get truncatedBytes(): number {
    return this.#ended ? this.#filled : 0;
  }

  #take(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.#frameBytes - this.#filled, chunk.length - offset);
      chunk.copy(this.#frame, this.#filled, offset, offset + n);
      this.#filled += n;
      offset += n;
      if (this.#filled < this.#frameBytes) continue;
      this.#queue.push(this.#frame);
      this.#frame = newFrameBuffer(this.#frameBytes);
      this.#filled = 0;
    }
    if (this.#queue.length >= this.#maxQueued) this.#stream.pause();
    this.#wake?.();
  }

  #finish(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const next = this.#queue.shift();
      if (next) {
        if (this.#queue.length < this.#maxQueued) this.#stream.resume();
        yield next;
        continue;
      }
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
