import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/** The core's root logger; components take children of it. */
export function createCoreLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'zebra-core',
      level,
      redact: { paths: ['database.url', '*.password', '*.token', 'authorization'], censor: '[redacted]' },
    },
    destination,
  );
}
