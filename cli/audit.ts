import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
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
import { ApiClient } from './api-client.js';
import { Progress, findResumePoint, reopenForResume, resumeRequest, writeAll } from './audit-export.js';
import { TLS_OPTIONS, httpsRequest, resolveClientTls } from './client-tls.js';
import type { ClientTls } from './client-tls.js';
import { resolveToken } from './events.js';
import type { SignedCheckpoint, VerifyResult } from '../core/index.js';
import { headBytes, isPdf, verifyPackage } from './verify-package.js';

const DEFAULT_HTTP_ADDR = '127.0.0.1:8080';
const DEFAULT_GRPC_ADDR = '127.0.0.1:50051';

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

/** Fetches something from the core and writes it to --out (or stdout). */
async function save(args: string[], path: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { http: { type: 'string' }, out: { type: 'string', short: 'o' }, ...TLS_OPTIONS },
  });
  const tls = await resolveClientTls(values, process.env);
  const body = await getFromCore(path, values.http ?? process.env.ZEBRA_HTTP_ADDR ?? DEFAULT_HTTP_ADDR, tls);
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

/** Verifies an export against a pinned public key and, optionally, a checkpoint the auditor kept. */
async function verify(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'public-key': { type: 'string' }, checkpoint: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || !values['public-key'])
    throw new Error('usage: zebra audit verify FILE --public-key PEM [--checkpoint FILE]');
  const publicKey = await readPublicKey(values['public-key']);
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
async function exportLog(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      'token-file': { type: 'string' },
      event: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      out: { type: 'string', short: 'o' },
      resume: { type: 'boolean' },
      'idle-timeout': { type: 'string' },
      ...TLS_OPTIONS,
    },
  });
  const idleSeconds = Number(values['idle-timeout'] ?? 60);
  if (!(idleSeconds > 0 && idleSeconds <= 86_400))
    throw new Error(`--idle-timeout ${values['idle-timeout']} must be a number of seconds from 1 to 86400`);
  if (values.resume && !values.out) throw new Error('--resume continues the file named by --out');
  let request: Record<string, unknown> = {
    eventId: values.event ?? '',
    sinceMs: parseTime('since', values.since),
    untilMs: parseTime('until', values.until),
  };
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
      request = resumeRequest(point);
      startEntries = point.fromSeq;
      process.stderr.write(`resuming ${values.out} from entry ${point.fromSeq}\n`);
      out = await reopenForResume(values.out!, point.keepBytes);
    }
  }
  if (out === process.stdout && values.out) out = createWriteStream(values.out);
  const client = new ApiClient(
    values.server ?? process.env.ZEBRA_GRPC_ADDR ?? DEFAULT_GRPC_ADDR,
    await resolveToken(values['token-file'], process.env),
    await resolveClientTls(values, process.env),
  );
  const progress = new Progress();
  let last: ExportChunk | undefined;
  try {
    const chunks = client.stream<ExportChunk>('/zebra.v1.AuditService/ExportLog', request, {
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

/** `zebra audit export|checkpoint|public-key|verify`. */
export async function audit(args: string[]): Promise<number | undefined> {
  const [sub, ...rest] = args;
  if (sub === 'export') return exportLog(rest);
  if (sub === 'checkpoint') return save(rest, '/api/audit/checkpoint');
  if (sub === 'public-key') return save(rest, '/api/audit/public-key');
  if (sub === 'verify') return verify(rest);
  return undefined;
}
