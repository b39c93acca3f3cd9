import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EdgeError, EdgeErrorCode } from '../errors.js';

/**
 * Per-camera monotonic event sequence, kept in a file so a restart never reuses a number.
 * The next number is written (atomically, by rename) before it is handed out.
 */
export class FileSequencer {
  readonly #path: string;
  #last: number;

  private constructor(path: string, last: number) {
    this.#path = path;
    this.#last = last;
  }

  static async open(stateDir: string, cameraId: string): Promise<FileSequencer> {
    await mkdir(stateDir, { recursive: true });
    const path = join(stateDir, `seq-${cameraId}.txt`);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new FileSequencer(path, 0);
      throw new EdgeError(EdgeErrorCode.STATE_INVALID, `cannot read ${path}`, { cause: err });
    }
    const last = Number(text.trim());
    if (!Number.isSafeInteger(last) || last < 0) {
      // Never guess: restarting at 1 would reuse numbers the core already holds.
      throw new EdgeError(
        EdgeErrorCode.STATE_INVALID,
        `${path} does not hold a sequence number ("${text.slice(0, 40)}")`,
      );
    }
    return new FileSequencer(path, last);
  }

  async next(): Promise<number> {
    const next = this.#last + 1;
    await writeFile(`${this.#path}.tmp`, String(next));
    await rename(`${this.#path}.tmp`, this.#path);
    this.#last = next;
    return next;
  }
}
