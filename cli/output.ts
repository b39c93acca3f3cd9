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
