import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { extname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { EdgeError, EdgeErrorCode } from '../errors.js';

const CODECS: Record<string, string[]> = {
  // Fastest VP8 setting on one thread: libvpx's threads spin while they wait for each other. A
  // 32-frame evidence clip took 0.9-3.1 s of CPU at -cpu-used 8 with ffmpeg's default threads on a
  // busy 2-core device, 0.37 s on one thread, 0.3 s at -cpu-used 16, at about the same size.
  '.webm': ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '16', '-threads', '1', '-b:v', '2M'],
  '.mp4': ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-movflags', '+faststart'],
};

/** The video extensions {@link VideoFileWriter} can write. */
export const VIDEO_OUTPUT_EXTENSIONS = Object.keys(CODECS);

/** Writes already redacted RGB frames to a video file through ffmpeg, frame by frame. */
export class VideoFileWriter {
  readonly #child: ChildProcessByStdio<Writable, null, Readable>;
  readonly #exited: Promise<number | null>;
  #stderr = '';

  constructor(path: string, widthPx: number, heightPx: number, fps: number) {
    const codec = CODECS[extname(path).toLowerCase()];
    if (!codec) throw new EdgeError(EdgeErrorCode.EVIDENCE_FAILED, `${path}: write .webm or .mp4`);
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24'];
    args.push(
      '-s',
      `${widthPx}x${heightPx}`,
      '-r',
      String(fps),
      '-i',
      'pipe:0',
      '-an',
      ...codec,
      '-pix_fmt',
      'yuv420p',
      path,
    );
    this.#child = spawn('ffmpeg', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.#child.stderr.on('data', (c: Buffer) => (this.#stderr = (this.#stderr + c.toString('utf8')).slice(-1000)));
    this.#child.stdin.on('error', () => undefined);
    this.#exited = new Promise((resolve, reject) => {
      this.#child.once('error', (err) =>
        reject(new EdgeError(EdgeErrorCode.EVIDENCE_FAILED, `cannot start ffmpeg: ${err.message}`, { cause: err })),
      );
      this.#child.once('close', resolve);
    });
    this.#exited.catch(() => undefined);
  }

  async write(redactedRgb: Buffer): Promise<void> {
    if (this.#child.stdin.write(redactedRgb)) return;
    await Promise.race([new Promise((r) => this.#child.stdin.once('drain', r)), this.#exited]);
  }

  async finish(): Promise<void> {
    this.#child.stdin.end();
    const code = await this.#exited;
    if (code !== 0)
      throw new EdgeError(
        EdgeErrorCode.EVIDENCE_FAILED,
        `video encoding failed (ffmpeg ${code}): ${this.#stderr.trim()}`,
      );
  }
}
