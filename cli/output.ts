import { CoreError } from '../core/index.js';
import { EdgeError } from '../edge/index.js';

/** Prints an error for a person: the code and message of our own errors, the message of others. */
export function printError(err: unknown): void {
  if (err instanceof EdgeError || err instanceof CoreError) {
    process.stderr.write(`zebra: ${err.code}: ${err.message}\n`);
  } else {
    const e = err as { code?: unknown; details?: unknown; message?: unknown };
    const detail = typeof e.details === 'string' && e.details ? e.details : String(e.message ?? err);
    process.stderr.write(`zebra: ${detail}\n`);
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** A fixed-width table for a terminal: a header line, one line per row, columns two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** A time for a table: UTC, to the second. */
export function tableTime(atMs: number): string {
  return atMs > 0 ? new Date(atMs).toISOString().replace('T', ' ').slice(0, 19) : '-';
}
