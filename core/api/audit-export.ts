import type { ExportLogResponse, ExportLogRequest } from '../../proto/index.js';
import type { SignedCheckpoint } from '../audit/checkpoint.js';
import { checkpointToJson } from '../audit/export-format.js';
import {
  EXPORT_FORMAT_V2,
  EXTRACT_FORMAT_V2,
  checkpointLine,
  entryLineFromCanonical,
  extractEntryLine,
  headerLine,
  trailerLine,
} from '../audit/export-lines.js';
import type { ExtractSelection } from '../audit/export-lines.js';
import {
  checkpointOfSize,
  checkpointsBetween,
  countCheckpointsBelow,
  countExtractBelow,
  entryPage,
} from '../audit/export-repo.js';
import { buildExtract } from '../audit/extract.js';
import type { ExtractFilter } from '../audit/extract.js';
import { checkpointNow } from '../audit/signer.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { period, requireUuid } from './args.js';
import type { CallContext, ChunkSink } from './method.js';

/** Entries read per query: a bounded page, whatever the log's size. */
const ENTRY_PAGE = 1000;
const EXTRACT_PAGE = 100;
/** A chunk is sent once it holds this many bytes of lines (well under the 4 MiB message cap). */
const CHUNK_BYTES = 256 * 1024;

/** Gathers lines into chunks of whole lines and sends each, waiting for the transport. */
class ChunkWriter {
  #lines: string[] = [];
  #bytes = 0;
  entryCount: number;

  constructor(
    private readonly sink: ChunkSink<ExportLogResponse>,
    private readonly treeSize: number,
    priorEntries: number,
  ) {
    this.entryCount = priorEntries;
  }

  async add(line: string, isEntry = false): Promise<void> {
    this.#lines.push(line);
    this.#bytes += Buffer.byteLength(line);
    if (isEntry) this.entryCount += 1;
    if (this.#bytes >= CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.sink.signal.aborted) throw new CoreError(CoreErrorCode.CANCELLED, 'the caller cancelled the export');
    if (this.#lines.length === 0) return;
    const lines = Buffer.from(this.#lines.join(''), 'utf8');
    this.#lines = [];
    this.#bytes = 0;
    await this.sink.send({ lines, entryCount: this.entryCount, treeSize: this.treeSize });
  }
}

function safeCount(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${name} must be a whole number`);
  return value;
}

/** The head the file is proved against: the one named (a resume), or a fresh one. */
async function exportHead(ctx: CallContext, treeSize: number): Promise<SignedCheckpoint> {
  if (treeSize > 0) {
    const cp = await checkpointOfSize(ctx.deps.db, treeSize);
    if (!cp) throw new CoreError(CoreErrorCode.NOT_FOUND, `no checkpoint of tree size ${treeSize} was signed`);
    return cp;
  }
  const cp = await checkpointNow(ctx.deps.db, ctx.deps.signer, ctx.nowMs, { waitForSigner: true });
  if (!cp) throw new CoreError(CoreErrorCode.NOT_FOUND, 'the audit log is empty');
  return cp;
}

/** Entries 0 … head-1 (from `fromSeq` on a resume), each checkpoint right after the entry that completes it. */
async function streamLog(
  ctx: CallContext,
  req: ExportLogRequest,
  head: SignedCheckpoint,
  out: ChunkWriter,
): Promise<void> {
  const { db } = ctx.deps;
  const size = head.treeSize;
  const from = req.fromSeq;
  let checkpoints = req.resume && from > 0 ? await countCheckpointsBelow(db, from) : 0;
  if (!req.resume)
    await out.add(
      headerLine({ format: EXPORT_FORMAT_V2, origin: ctx.deps.signer.origin, exportedAtMs: ctx.nowMs, treeSize: size }),
    );
  let at = from;
  do {
    const page = await entryPage(db, at, size, ENTRY_PAGE);
    if (page.length === 0 && at < size)
      throw new CoreError(
        CoreErrorCode.DATA_CORRUPT,
        `the audit log has no entry ${at} below its checkpoint of size ${size}`,
      );
    const end = at + page.length;
    const cps = await checkpointsBetween(db, at === from ? Math.max(from, 1) : at + 1, end);
    let next = 0;
    for (const [i, { seq, canonical, leafHash }] of page.entries()) {
      if (seq !== at + i) throw new CoreError(CoreErrorCode.DATA_CORRUPT, `the audit log has no entry ${at + i}`);
      for (; next < cps.length && cps[next]!.treeSize <= seq; next += 1, checkpoints += 1)
        await out.add(checkpointLine(cps[next]!));
      await out.add(entryLineFromCanonical(canonical, leafHash), true);
    }
    for (; next < cps.length; next += 1, checkpoints += 1) await out.add(checkpointLine(cps[next]!));
    at = end;
  } while (at < size);
  await out.add(trailerLine({ entries: out.entryCount, checkpoints }));
}

/** The selected entries below the head (after `fromSeq - 1` on a resume), each with its proof. */
async function streamExtract(
  ctx: CallContext,
  req: ExportLogRequest,
  head: SignedCheckpoint,
  filter: ExtractFilter,
  selection: ExtractSelection,
  out: ChunkWriter,
): Promise<void> {
  const { db } = ctx.deps;
  if (req.resume && req.fromSeq > 0) out.entryCount = await countExtractBelow(db, filter, req.fromSeq);
  else if (!req.resume)
    await out.add(
      headerLine({
        format: EXTRACT_FORMAT_V2,
        origin: ctx.deps.signer.origin,
        exportedAtMs: ctx.nowMs,
        checkpoint: checkpointToJson(head),
        selection,
      }),
    );
  let afterSeq = req.fromSeq - 1;
  for (;;) {
    const { entries } = await buildExtract(db, head, filter, { afterSeq, limit: EXTRACT_PAGE });
    for (const { entry, proof } of entries) await out.add(extractEntryLine(entry, proof), true);
    if (entries.length < EXTRACT_PAGE) break;
    afterSeq = entries.at(-1)!.entry.seq;
    await out.flush(); // a page of proofs is a natural chunk; also notices a cancel between pages
  }
  await out.add(trailerLine({ entries: out.entryCount }));
}

/**
 * ExportLog: the whole log (zebra-audit-export/v2) or an extract (zebra-audit-extract/v2),
 * read in keyset pages and sent in chunks of whole NDJSON lines as the transport drains.
 */
export async function exportLogStream(
  ctx: CallContext,
  req: ExportLogRequest,
  sink: ChunkSink<ExportLogResponse>,
): Promise<void> {
  safeCount('from_seq', req.fromSeq);
  safeCount('tree_size', req.treeSize);
  if (req.resume && req.treeSize === 0)
    throw new CoreError(
      CoreErrorCode.INVALID_ARGUMENT,
      "resume needs tree_size: the header's, so the file ends where it began to",
    );
  if (!req.resume && req.fromSeq > 0)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'from_seq continues a file: set resume too');
  const isExtract = Boolean(req.eventId || req.sinceMs || req.untilMs);
  let filter: ExtractFilter | undefined;
  let selection: ExtractSelection | undefined;
  if (isExtract && req.eventId) {
    const eventId = requireUuid('event_id', req.eventId);
    [filter, selection] = [{ subject: eventId }, { eventId }];
  } else if (isExtract) {
    const [sinceMs, untilMs] = period(req.sinceMs, req.untilMs, ctx.nowMs);
    [filter, selection] = [
      { sinceMs, untilMs },
      { sinceMs, untilMs },
    ];
  }
  const head = await exportHead(ctx, req.treeSize);
  if (req.fromSeq > head.treeSize)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `from_seq ${req.fromSeq} is past the head (${head.treeSize})`);
  const out = new ChunkWriter(sink, head.treeSize, req.resume ? req.fromSeq : 0);
  if (filter && selection) await streamExtract(ctx, req, head, filter, selection, out);
  else await streamLog(ctx, req, head, out);
  await out.flush();
}
