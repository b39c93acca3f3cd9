import type { OnReadOpts, Socket } from 'node:net';

/**
 * Frame pixels live in shared memory, so handing a frame to an inference worker passes a
 * reference instead of copying 1.3 MB each way. Nothing writes a frame after it is decoded.
 */
function newFrameBuffer(frameBytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(frameBytes));
}

/**
 * Cuts a raw video byte stream into fixed-size frames. The socket reads straight into the
 * frame being filled ({@link onread}); up to `maxQueued` whole frames are read ahead (so the
 * decoder runs on its own core meanwhile), then reading pauses until the consumer catches up.
 * Build the reader, open the socket with its `onread`, then {@link attach} the socket.
 */
export class RawFrameReader implements AsyncIterable<Buffer> {
  readonly #frameBytes: number;
  readonly #maxQueued: number;
  readonly #queue: Buffer[] = [];
  /** When each queued frame's last byte arrived (device clock), in queue order. */
  readonly #arrivals: number[] = [];
  #lastArrivedAtMs = 0;
  #socket: Socket | undefined;
  #frame: Buffer;
  #filled = 0;
  #bytesRead = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  /** The socket stopped reading because enough frames wait (the callback returned false). */
  #isHeld = false;

  constructor(frameBytes: number, maxQueued: number) {
    this.#frameBytes = frameBytes;
    this.#maxQueued = maxQueued;
    this.#frame = newFrameBuffer(frameBytes);
  }

  /** For the socket: where the next bytes go, and what arrived. */
  get onread(): OnReadOpts {
    return {
      buffer: () => this.#frame.subarray(this.#filled),
      callback: (bytes: number) => this.#wrote(bytes),
    };
  }

  attach(socket: Socket): void {
    this.#socket = socket;
    socket.once('end', () => this.#finish());
    socket.once('close', () => this.#finish());
    socket.once('error', (err) => {
      this.#error = err;
      this.#finish();
    });
  }

  /** Bytes received so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /**
   * When the frame yielded last had fully arrived (device clock): a live frame's capture time,
   * not delayed by the time it waited for the consumer.
   */
  get lastArrivedAtMs(): number {
    return this.#lastArrivedAtMs;
  }

  /** True while whole frames wait for the consumer (reading is paused: no bytes is no stall). */
  get isHeld(): boolean {
    return this.#isHeld;
  }

  /** Bytes of a last, incomplete frame when the stream ended (0 when it ended on a frame boundary). */
  get truncatedBytes(): number {
    return this.#ended ? this.#filled : 0;
  }

  /** Returns false (which pauses the socket) once enough frames wait. */
  #wrote(bytes: number): boolean {
    this.#bytesRead += bytes;
    this.#filled += bytes;
    if (this.#filled === this.#frameBytes) {
      this.#queue.push(this.#frame);
      this.#arrivals.push(Date.now());
      this.#frame = newFrameBuffer(this.#frameBytes);
      this.#filled = 0;
    }
    this.#wake?.();
    this.#isHeld = this.#queue.length >= this.#maxQueued;
    return !this.#isHeld;
  }

  #finish(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const next = this.#queue.shift();
      if (next) {
        this.#lastArrivedAtMs = this.#arrivals.shift()!;
        if (this.#isHeld && this.#queue.length < this.#maxQueued) {
          // resume() restarts a read the callback stopped (the stream itself never paused).
          this.#isHeld = false;
          this.#socket?.resume();
        }
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
