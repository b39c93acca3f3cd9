import type { KeyObject } from 'node:crypto';
import type { SignedCheckpoint } from './checkpoint.js';
import { checkpointFromJson } from './export-format.js';
import type { ExportHeader, ExportTrailer } from './export-lines.js';
import { EXPORT_FORMAT_V2, parseCheckpointLine, parseEntryFields, parseHeader, parseTrailer } from './export-lines.js';
import { ExtractVerifier, LogVerifier } from './stream-verify.js';
import type { VerifyResult } from './verify-log.js';

/** What a one-pass verification of a v2 file found. */
export interface StreamVerifyResult extends VerifyResult {
  readonly header: ExportHeader;
  readonly entryCount: number;
  /** Checkpoint lines (full exports). */
  readonly checkpointCount: number;
  /** The newest checkpoint's tree size (full exports) or the head the extract is proved against. */
  readonly headSize: number;
}

/** Longest line accepted: an entry with a large details object and a 64-hash proof fits easily. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * Splits a byte stream into lines (without "\n"); a last line with no "\n" is yielded too, so
 * the verifier can tell a cut file from a complete one. Yields the lines of each chunk read
 * together (one await per chunk, not per line); holds one chunk and one partial line.
 */
export async function* splitLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    let buf = carry.length ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let start = 0;
    const lines: string[] = [];
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      lines.push(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    if (lines.length) yield lines;
    buf = buf.subarray(start);
    if (buf.length > MAX_LINE_BYTES) throw new Error(`a line is longer than ${MAX_LINE_BYTES} bytes: not an export`);
    carry = Buffer.from(buf);
  }
  if (carry.length) yield [carry.toString('utf8')];
}

const ENTRY_OPENING = '{"type":"entry",';
const LEAF_HASH_KEY = ',"leafHash":"';
/** `,"leafHash":"` + 64 hex digits + `"}`. */
const LEAF_HASH_TAIL = LEAF_HASH_KEY.length + 64 + 2;

/** The canonical entry bytes inside a line laid out as the server writes it, else undefined. */
function rawCanonical(line: string): string | undefined {
  const tail = line.length - LEAF_HASH_TAIL;
  if (tail <= ENTRY_OPENING.length || !line.startsWith(ENTRY_OPENING) || !line.startsWith(LEAF_HASH_KEY, tail))
    return undefined;
  return `{${line.slice(ENTRY_OPENING.length, tail)}}`;
}

function parseLine(text: string): Record<string, unknown> | string {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : 'not a JSON object';
  } catch {
    return 'not JSON';
  }
}

/**
 * Verifies a zebra-audit-export/v2 or zebra-audit-extract/v2 file from its lines, in one pass:
 * O(n) time and O(log n) memory. The first line must be the header (throws otherwise: the
 * file is not one of these); everything after it is checked and reported as problems.
 */
export async function verifyExportLines(
  lines: AsyncIterable<string | readonly string[]> | Iterable<string | readonly string[]>,
  publicKey: KeyObject,
  trusted?: SignedCheckpoint,
): Promise<StreamVerifyResult> {
  let header: ExportHeader | undefined;
  let log: LogVerifier | undefined;
  let extract: ExtractVerifier | undefined;
  let trailer: ExportTrailer | undefined;
  let lineNo = 0;
  let checkpointLines = 0;
  const bad = (message: string): void =>
    (log ?? extract)!.problems.add({
      kind: 'format',
      message: `line ${lineNo}: ${message}`,
      firstBadSeq: log ? log.entryCount : undefined,
    });
  const take = (text: string): void => {
    lineNo += 1;
    if (!header) {
      const raw = parseLine(text);
      if (typeof raw === 'string') throw new Error(`not an audit export: the first line is ${raw}`);
      header = parseHeader(raw);
      if (header.format === EXPORT_FORMAT_V2) {
        log = new LogVerifier(publicKey, trusted, true);
        log.noteOrigin(header.origin);
      } else {
        const head = checkpointFromJson(header.checkpoint);
        extract = new ExtractVerifier(head, publicKey);
        if (head.origin !== header.origin)
          extract.problems.add({
            kind: 'origin',
            message: `the header names ${header.origin}, its checkpoint ${head.origin}`,
          });
      }
      return;
    }
    const raw = parseLine(text);
    if (typeof raw === 'string') return bad(raw);
    if (trailer) return bad('a line after the trailer');
    if (raw.type === 'entry') {
      const parsed = parseEntryFields(raw, log ? 'leafHash' : 'inclusionProof');
      if (typeof parsed === 'string') bad(parsed);
      else if (log) log.entry(parsed.entry, parsed.extra as Buffer, rawCanonical(text));
      else extract!.entry(parsed.entry, parsed.extra as Buffer[]);
    } else if (raw.type === 'checkpoint' && log) {
      checkpointLines += 1;
      const cp = parseCheckpointLine(raw);
      if (typeof cp === 'string') bad(cp);
      else log.checkpoint(cp);
    } else if (raw.type === 'end') {
      const parsed = parseTrailer(raw);
      if (typeof parsed === 'string') bad(parsed);
      else trailer = parsed;
    } else {
      bad(`unknown line type ${JSON.stringify(raw.type)}`);
    }
  };
  for await (const item of lines) {
    if (typeof item === 'string') take(item);
    else for (const text of item) take(text);
  }
  if (!header) throw new Error('not an audit export: the file is empty');
  const verifier = (log ?? extract)!;
  const entryCount = verifier.entryCount;
  const problems = verifier.problems;
  if (!trailer) {
    problems.add({
      kind: 'truncated',
      message: `the file ends without its trailer line: it was cut short after ${entryCount} entries`,
      firstBadSeq: log ? entryCount : undefined,
    });
  } else if (trailer.entries !== entryCount || (log && trailer.checkpoints !== checkpointLines)) {
    problems.add({
      kind: 'truncated',
      message: `the trailer counts ${trailer.entries} entries and ${trailer.checkpoints ?? 0} checkpoints; the file has ${entryCount} and ${checkpointLines}`,
    });
  }
  if (log && header.format === EXPORT_FORMAT_V2 && entryCount !== header.treeSize) {
    problems.add({
      kind: 'truncated',
      message: `the header promises ${header.treeSize} entries; the file has ${entryCount}`,
      firstBadSeq: Math.min(entryCount, header.treeSize),
    });
  }
  const result = verifier.finish();
  return {
    ...result,
    header,
    entryCount,
    checkpointCount: checkpointLines,
    headSize: log ? log.headSize : header.format === EXPORT_FORMAT_V2 ? 0 : header.checkpoint.treeSize,
  };
}
