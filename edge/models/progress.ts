import type { FetchProgress } from './fetch.js';

const BAR_WIDTH = 30;

/**
 * A progress printer for `zebra models fetch`: a redrawn bar on a terminal,
 * one line per file otherwise (logs and CI).
 */
export function createProgressPrinter(out: NodeJS.WriteStream): (p: FetchProgress) => void {
  let lastId = '';
  return (p) => {
    const ratio = p.totalBytes > 0 ? Math.min(1, p.doneBytes / p.totalBytes) : 1;
    const done = ratio >= 1;
    if (!out.isTTY) {
      if (done && p.id !== lastId) out.write(`${p.id}: ${p.totalBytes} bytes (${p.from})\n`);
      if (done) lastId = p.id;
      return;
    }
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
    out.write(`\r${p.id.padEnd(20)} [${bar}] ${(ratio * 100).toFixed(0).padStart(3)}% ${p.from}`);
    if (done) out.write('\n');
  };
}
