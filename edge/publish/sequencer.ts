import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
    let last = 0;
    try {
      last = Number.parseInt(await readFile(path, 'utf8'), 10);
      if (!Number.isSafeInteger(last) || last < 0) throw new Error(`${path} does not hold a sequence number`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      last = 0;
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
