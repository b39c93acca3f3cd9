import { Server, ServerCredentials } from '@grpc/grpc-js';
import { EventServiceService } from '../../proto/index.js';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { createEventService } from './event-service.js';

const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GrpcServerHandle {
  /** host:port actually bound (port 0 resolves to a free port). */
  readonly address: string;
  close(): Promise<void>;
}

/** Starts the gRPC API on `listen` (host:port). */
export async function startGrpcServer(listen: string, db: Queryable, logger: Logger): Promise<GrpcServerHandle> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(EventServiceService, createEventService(db, logger));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, ServerCredentials.createInsecure(), (err, boundPort) =>
      err ? reject(err) : resolve(boundPort),
    ),
  ).catch((err: unknown) => {
    throw new CoreError(CoreErrorCode.CONFIG_INVALID, `grpc.listen: cannot bind ${listen}: ${String(err)}`, {
      cause: err,
    });
  });
  const host = listen.slice(0, listen.lastIndexOf(':'));
  return {
    address: `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
