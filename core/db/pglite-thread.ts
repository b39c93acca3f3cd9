// Runs inside the PGlite thread: opens the database once, then answers requests in arrival order.
import { PGlite } from '@electric-sql/pglite';
import { parentPort, workerData } from 'node:worker_threads';
import { errorData } from './pglite-protocol.js';
import type { PgliteReply, PgliteRequest, PgliteStartup, PgliteThreadInit } from './pglite-protocol.js';

const BYTEA_OID = 17;

/**
 * bytea in PostgreSQL's hex text format through Node's native hex codec. (PGlite's own
 * converts byte by byte in JavaScript: for ingest's payloads and audit entries that was a tenth
 * of the whole ingest time.)
 */
function serializeBytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new TypeError('a bytea parameter must be a Uint8Array');
  return '\\x' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

function parseBytea(text: string): Uint8Array {
  const bytes = Buffer.from(text.slice(2), 'hex');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function answer(db: PGlite, request: PgliteRequest): Promise<PgliteReply> {
  try {
    if (request.op === 'query') {
      if (request.begin) await db.exec('BEGIN');
      const result = await db.query(request.sql, [...request.params]);
      return { id: request.id, ok: true, rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    }
    if (request.op === 'exec') {
      if (request.begin) await db.exec('BEGIN');
      await db.exec(request.sql);
    } else await db.close();
    return { id: request.id, ok: true, rows: [], rowCount: 0 };
  } catch (err) {
    return { id: request.id, ok: false, error: errorData(err) };
  }
}

async function serve(init: PgliteThreadInit): Promise<void> {
  const port = parentPort!;
  let db: PGlite;
  try {
    db = await PGlite.create(init.dataDir, {
      serializers: { [BYTEA_OID]: serializeBytea },
      parsers: { [BYTEA_OID]: parseBytea },
    });
  } catch (err) {
    port.postMessage({ ready: false, error: errorData(err) } satisfies PgliteStartup);
    return;
  }
  let queue = Promise.resolve();
  port.on('message', (request: PgliteRequest) => {
    queue = queue.then(async () => port.postMessage(await answer(db, request)));
  });
  port.postMessage({ ready: true } satisfies PgliteStartup);
}

await serve(workerData as PgliteThreadInit);
