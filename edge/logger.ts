import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/** The edge's root logger; components take children of it. */
export function createEdgeLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'zebra-edge',
      level,
      redact: { paths: ['*.password', '*.token', '*.privateKey', 'nats.servers'], censor: '[redacted]' },
    },
    destination,
  );
}
