import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import {
  EXPORT_FORMAT_V2,
  EXTRACT_FORMAT_V2,
  splitLines,
  verifyExportLines,
  isExtractJson,
  parseCheckpointJson,
  parseExportJson,
  parseExtractJson,
  verifyAuditExport,
  verifyExtract,
} from '../core/index.js';
import { AuditServiceService, ExportLogRequest } from '../proto/index.js';
import { Progress, findResumePoint, reopenForResume, resumeRequest, writeAll } from './audit-export.js';
import { httpsRequest } from './client-tls.js';
import type { ClientTls } from './client-tls.js';
import { clientTls, openApi } from './command-kit.js';
import type { ApiOpts, TlsOpts } from './command-kit.js';
import type { SignedCheckpoint, VerifyResult } from '../core/index.js';
import { headBytes, isPdf, verifyPackage } from './verify-package.js';

async function getFromCore(path: string, httpAddr: string, tls: ClientTls): Promise<string> {
  const url = `https://${httpAddr}${path}`;
  const res = await httpsRequest(url, tls).catch((err: unknown) => {
    throw new Error(
      `cannot reach the zebra core at https://${httpAddr} (${err instanceof Error ? err.message : String(err)}); ` +
        'pass --http HOST:PORT, and --ca FILE (ZEBRA_CA_FILE) with the CA that signed its certificate',
    );
  });
  const body = res.text();
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}: ${body.slice(0, 200)}`);
  return body;
}

async function readJson(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function readPublicKey(path: string): Promise<KeyObject> {
  try {
    return createPublicKey(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(
      `--public-key ${path} is not a PEM public key: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

export interface SaveOpts extends TlsOpts {
  readonly http: string;
  readonly out?: string;
}

/** Fetches something from the core and writes it to --out (or stdout). */
async function save(values: SaveOpts, path: string): Promise<number> {
  const tls = await clientTls(values);
  const body = await getFromCore(path, values.http, tls);
  if (values.out) {
    await writeFile(values.out, body);
    process.stderr.write(`wrote ${values.out}\n`);
  } else {
    process.stdout.write(`${body}\n`);
  }
  return 0;
}

/** Reads the first line if it is short: a v2 file starts with its header line. */
async function firstLine(path: string): Promise<string | undefined> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    return nl < 0 ? undefined : buf.toString('utf8', 0, nl);
  } finally {
    await file.close();
  }
}

function isV2Header(line: string | undefined): boolean {
  try {
    const format = (JSON.parse(line ?? '') as { format?: unknown }).format;
    return format === EXPORT_FORMAT_V2 || format === EXTRACT_FORMAT_V2;
  } catch {
    return false;
  }
}

export function printProblems(result: VerifyResult): void {
  for (const p of result.problems) process.stdout.write(`FAIL ${p.kind}: ${p.message}\n`);
  if (result.firstBadSeq !== undefined) process.stdout.write(`first bad entry: seq ${result.firstBadSeq}\n`);
  else if (result.firstBadRange)
    process.stdout.write(`first bad entry is in seq ${result.firstBadRange.from}..${result.firstBadRange.to - 1}\n`);
}

/** A v2 file, streamed from disk through the one-pass verifier. */
async function verifyStreamFile(
  file: string,
  publicKey: KeyObject,
  trusted: SignedCheckpoint | undefined,
): Promise<number> {
  const startMs = Date.now();
  const result = await verifyExportLines(
    splitLines(createReadStream(file, { highWaterMark: 1024 * 1024 })),
    publicKey,
    trusted,
  );
  const seconds = Math.max((Date.now() - startMs) / 1000, 0.001);
  process.stderr.write(
    `verified ${result.entryCount} entries in ${seconds.toFixed(1)} s (${Math.round(result.entryCount / seconds)}/s)\n`,
  );
  if (result.header.format === EXTRACT_FORMAT_V2) {
    if (trusted)
      process.stderr.write('--checkpoint applies to full exports; an extract is checked against its own head\n');
    process.stdout.write(
      `${result.entryCount} entries with inclusion proofs against the checkpoint of size ${result.headSize}\n`,
    );
    if (result.isValid) {
      process.stdout.write('OK: the checkpoint signature and every inclusion proof verify\n');
      return 0;
    }
  } else {
    process.stdout.write(
      `${result.entryCount} entries, ${result.checkpointCount} checkpoints, newest covers ${result.headSize}\n`,
    );
    if (trusted) process.stdout.write(`checked against your checkpoint of size ${trusted.treeSize}\n`);
    if (result.isValid) {
      process.stdout.write('OK: every entry, root and signature verifies\n');
      return 0;
    }
  }
  printProblems(result);
  return 1;
}

export interface VerifyOpts {
  readonly publicKey: string;
  readonly checkpoint?: string;
}

/** Verifies an export against a pinned public key and, optionally, a checkpoint the auditor kept. */
export async function auditVerify(values: VerifyOpts, [file]: string[]): Promise<number> {
  if (!file) throw new Error('usage: zebra audit verify FILE --public-key PEM [--checkpoint FILE]');
  const publicKey = await readPublicKey(values.publicKey);
  const magic = await headBytes(file).catch((err: unknown) => {
    throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  if (isPdf(magic)) return verifyPackage(file, publicKey);
  let trusted: SignedCheckpoint | undefined;
  if (values.checkpoint) trusted = parseCheckpointJson(await readJson(values.checkpoint, 'checkpoint'));
  const head = await firstLine(file).catch((err: unknown) => {
    throw new Error(`cannot read export ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  });
  if (isV2Header(head)) return verifyStreamFile(file, publicKey, trusted);
  // A v1 file (one JSON document; small by construction: one gRPC message).
  const raw = await readJson(file, 'export');
  if (isExtractJson(raw)) return verifyExtractFile(raw, publicKey);
  const log = parseExportJson(raw);
  const result = verifyAuditExport(log, publicKey, trusted);
  const newest = log.checkpoints.at(-1);
  process.stdout.write(
    `${log.entries.length} entries, ${log.checkpoints.length} checkpoints, newest covers ${newest?.treeSize ?? 0}\n`,
  );
  if (trusted) process.stdout.write(`checked against your checkpoint of size ${trusted.treeSize}\n`);
  if (result.isValid) {
    process.stdout.write('OK: every entry, root and signature verifies\n');
    return 0;
  }
  printProblems(result);
  return 1;
}

export interface ExportOpts extends ApiOpts {
  readonly event?: string;
  readonly since?: string;
  readonly until?: string;
  readonly out?: string;
  readonly resume?: boolean;
  readonly idleTimeout: number;
}

function parseTime(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new Error(`--${name} ${value} is not a date (use e.g. 2026-11-01 or 2026-11-01T08:00:00Z)`);
  return ms;
}

interface ExportChunk {
  lines: Buffer;
  entryCount: number;
  treeSize: number;
}

/**
 * `zebra audit export`: the whole log, one event's entries, or a period, through the gRPC API
 * (auditor), streamed to disk as it comes; `--resume` continues a file that was cut short.
 */
export async function auditExport(values: ExportOpts): Promise<number> {
  const idleSeconds = values.idleTimeout;
  if (values.resume && !values.out) throw new Error('--resume continues the file named by --out');
  let request = ExportLogRequest.fromPartial({
    eventId: values.event ?? '',
    sinceMs: parseTime('since', values.since),
    untilMs: parseTime('until', values.until),
  });
  let out: Writable = process.stdout;
  let startEntries = 0;
  if (values.resume) {
    const point = await findResumePoint(values.out!).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    });
    if (point?.isComplete) {
      process.stderr.write(`${values.out} is complete (it ends with its trailer): nothing to resume\n`);
      return 0;
    }
    if (point) {
      request = ExportLogRequest.fromJSON(resumeRequest(point));
      startEntries = point.fromSeq;
      process.stderr.write(`resuming ${values.out} from entry ${point.fromSeq}\n`);
      out = await reopenForResume(values.out!, point.keepBytes);
    }
  }
  if (out === process.stdout && values.out) out = createWriteStream(values.out);
  const client = await openApi(values);
  const progress = new Progress();
  let last: ExportChunk | undefined;
  try {
    const chunks = client.serverStream(AuditServiceService.exportLog, request, {
      idleTimeoutMs: idleSeconds * 1000,
    });
    for await (const chunk of chunks) {
      await writeAll(out, chunk.lines);
      last = chunk;
      progress.update(chunk.entryCount, request.eventId || request.sinceMs ? undefined : chunk.treeSize, startEntries);
    }
  } catch (err) {
    if (values.out)
      process.stderr.write(`the export stopped early; run the same command with --resume to continue ${values.out}\n`);
    throw err;
  } finally {
    client.close();
    if (out !== process.stdout) {
      out.end();
      await once(out, 'close');
    }
  }
  const entries = last?.entryCount ?? startEntries;
  progress.done(entries, undefined, startEntries, values.out ? `wrote ${values.out}` : 'done');
  return 0;
}

/** Verifies an extract (part of the log with inclusion proofs) against the pinned key. */
function verifyExtractFile(raw: unknown, publicKey: KeyObject): number {
  const extract = parseExtractJson(raw);
  const result = verifyExtract(extract, publicKey);
  process.stdout.write(
    `${extract.entries.length} entries with inclusion proofs against the checkpoint of size ${extract.checkpoint.treeSize}\n`,
  );
  if (result.isValid) {
    process.stdout.write('OK: the checkpoint signature and every inclusion proof verify\n');
    return 0;
  }
  for (const p of result.problems) process.stdout.write(`FAIL ${p}\n`);
  return 1;
}

/** `zebra audit checkpoint`: the current signed checkpoint, over HTTPS. */
export const auditCheckpoint = (values: SaveOpts): Promise<number> => save(values, '/api/audit/checkpoint');

/** `zebra audit public-key`: the checkpoint key, over HTTPS. */
export const auditPublicKey = (values: SaveOpts): Promise<number> => save(values, '/api/audit/public-key');
