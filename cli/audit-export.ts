import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseHeader } from '../core/index.js';
import type { ExportHeader } from '../core/index.js';

/** Where a partial export file continues: the request fields and the length to keep. */
export interface ResumePoint {
  readonly header: ExportHeader;
  /** Bytes of the file to keep: through the last complete entry line (or the header). */
  readonly keepBytes: number;
  readonly fromSeq: number;
  /** The file already ends with its trailer: nothing to fetch. */
  readonly isComplete: boolean;
}

const HEAD_BYTES = 1024 * 1024;
const TAIL_BLOCK_BYTES = 256 * 1024;

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds where a cut export continues, reading only its head and its tail: the partial last
 * line and any checkpoint lines after the last entry are dropped (the server sends them
 * again), so the continued file equals an uninterrupted one. Undefined when not even the
 * header line is complete (start again).
 */
export async function findResumePoint(path: string): Promise<ResumePoint | undefined> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await file.read(head, 0, head.length, 0);
    const headerEnd = head.indexOf(10);
    if (headerEnd < 0) {
      // Only a cut header can be started again; anything else is not ours to overwrite.
      const start = head.toString('utf8', 0, Math.min(head.length, 40));
      const isOurs = (format: string): boolean => {
        const opening = `{"format":"${format}"`;
        return opening.startsWith(start) || start.startsWith(opening);
      };
      if (isOurs('zebra-audit-export/v2') || isOurs('zebra-audit-extract/v2')) return undefined;
      throw new Error(`${path} is not a zebra-audit-export/v2 or extract/v2 file; cannot resume it`);
    }
    const header = parseHeader(jsonObject(head.toString('utf8', 0, headerEnd)));
    const bodyStart = headerEnd + 1;
    // Read a window of the tail, widening it until it holds the last entry line.
    for (let window = TAIL_BLOCK_BYTES; ; window *= 4) {
      const start = Math.max(bodyStart, size - window);
      const buf = Buffer.alloc(size - start);
      await file.read(buf, 0, buf.length, start);
      // Complete lines: from the window's first line start (0 at the body's start) to its last "\n".
      const first = start === bodyStart ? 0 : buf.indexOf(10) + 1;
      let end = buf.lastIndexOf(10) + 1; // 0 when no line ends in the window
      for (let lineEnd = end; lineEnd > first;) {
        const lineStart = lineEnd < 2 ? 0 : Math.max(first, buf.lastIndexOf(10, lineEnd - 2) + 1);
        const line = jsonObject(buf.toString('utf8', lineStart, lineEnd - 1));
        if (line?.type === 'end') return { header, keepBytes: start + end, fromSeq: 0, isComplete: true };
        if (line?.type === 'entry' && Number.isSafeInteger(line.seq))
          return { header, keepBytes: start + end, fromSeq: (line.seq as number) + 1, isComplete: false };
        if (line?.type !== 'checkpoint')
          throw new Error(`${path}: the line at byte ${start + lineStart} is not an export line; cannot resume`);
        end = lineStart; // drop the checkpoint: it is sent again after its entry
        lineEnd = lineStart;
      }
      if (start === bodyStart) return { header, keepBytes: bodyStart, fromSeq: 0, isComplete: false };
    }
  } finally {
    await file.close();
  }
}

/** The request fields that continue a file with this header from `fromSeq`. */
export function resumeRequest(point: ResumePoint): Record<string, unknown> {
  const { header } = point;
  const base = { resume: true, fromSeq: point.fromSeq };
  if (header.format === 'zebra-audit-export/v2') return { ...base, treeSize: header.treeSize };
  return { ...base, treeSize: header.checkpoint.treeSize, ...header.selection };
}

/** Cuts the file to `keepBytes` and opens it for appending. */
export async function reopenForResume(path: string, keepBytes: number): Promise<Writable> {
  await truncate(path, keepBytes);
  return createWriteStream(path, { flags: 'a' });
}

/** Writes with backpressure: waits for 'drain' when the stream's buffer is full. */
export async function writeAll(out: Writable, bytes: Uint8Array): Promise<void> {
  if (!out.write(bytes)) await once(out, 'drain');
}

/** A progress line on stderr: rewritten in place on a terminal, else one line every 5 s. */
export class Progress {
  readonly #startMs = Date.now();
  #lastMs = 0;
  readonly #stream: NodeJS.WriteStream;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
  }

  #text(entries: number, total: number | undefined, startEntries: number): string {
    const seconds = Math.max((Date.now() - this.#startMs) / 1000, 0.001);
    const rate = Math.round((entries - startEntries) / seconds);
    const share = total ? ` of ${total.toLocaleString('en')} (${((100 * entries) / total).toFixed(1)}%)` : '';
    return `${entries.toLocaleString('en')} entries${share}, ${rate.toLocaleString('en')}/s`;
  }

  update(entries: number, total: number | undefined, startEntries = 0): void {
    const now = Date.now();
    const every = this.#stream.isTTY ? 200 : 5000;
    if (now - this.#lastMs < every) return;
    this.#lastMs = now;
    const text = this.#text(entries, total, startEntries);
    this.#stream.write(this.#stream.isTTY ? `\r${text}\u001b[K` : `${text}\n`);
  }

  done(entries: number, total: number | undefined, startEntries: number, what: string): void {
    const seconds = ((Date.now() - this.#startMs) / 1000).toFixed(1);
    const text = `${this.#text(entries, total, startEntries)}: ${what} in ${seconds} s`;
    this.#stream.write(this.#stream.isTTY ? `\r${text}\u001b[K\n` : `${text}\n`);
  }
}
