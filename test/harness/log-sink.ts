import { Writable } from 'node:stream';

/** A pino destination that keeps every line, parsed, for assertions. */
export interface LogSink {
  readonly stream: Writable;
  readonly lines: Record<string, unknown>[];
  find(msg: string): Record<string, unknown> | undefined;
}

export function createLogSink(): LogSink {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines, find: (msg) => lines.find((l) => l.msg === msg) };
}
