import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  isExtractJson,
  parseCheckpointJson,
  parseExportJson,
  parseExtractJson,
  verifyAuditExport,
  verifyExtract,
} from '../core/index.js';
import { ApiClient } from './api-client.js';
import { TLS_OPTIONS, httpsRequest, resolveClientTls } from './client-tls.js';
import type { ClientTls } from './client-tls.js';
import { resolveToken } from './events.js';
import type { SignedCheckpoint } from '../core/index.js';

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
  const raw = await readJson(file, 'export');
  const publicKey = await readPublicKey(values['public-key']);
  if (isExtractJson(raw)) return verifyExtractFile(raw, publicKey);
  const log = parseExportJson(raw);
  let trusted: SignedCheckpoint | undefined;
  if (values.checkpoint) trusted = parseCheckpointJson(await readJson(values.checkpoint, 'checkpoint'));
  const result = verifyAuditExport(log, publicKey, trusted);
  const head = log.checkpoints.at(-1);
  process.stdout.write(
    `${log.entries.length} entries, ${log.checkpoints.length} checkpoints, newest covers ${head?.treeSize ?? 0}\n`,
  );
  if (trusted) process.stdout.write(`checked against your checkpoint of size ${trusted.treeSize}\n`);
  if (result.isValid) {
    process.stdout.write('OK: every entry, root and signature verifies\n');
    return 0;
  }
  for (const p of result.problems) process.stdout.write(`FAIL ${p.kind}: ${p.message}\n`);
  if (result.firstBadSeq !== undefined) process.stdout.write(`first bad entry: seq ${result.firstBadSeq}\n`);
  else if (result.firstBadRange)
    process.stdout.write(`first bad entry is in seq ${result.firstBadRange.from}..${result.firstBadRange.to - 1}\n`);
  return 1;
}

async function writeOut(out: string | undefined, body: string): Promise<void> {
  if (out) {
    await writeFile(out, body);
    process.stderr.write(`wrote ${out}\n`);
  } else {
    process.stdout.write(`${body}\n`);
  }
}

function parseTime(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new Error(`--${name} ${value} is not a date (use e.g. 2026-11-01 or 2026-11-01T08:00:00Z)`);
  return ms;
}

/** `zebra audit export`: the whole log, one event's entries, or a period, through the gRPC API (auditor). */
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
      ...TLS_OPTIONS,
    },
  });
  const client = new ApiClient(
    values.server ?? process.env.ZEBRA_GRPC_ADDR ?? DEFAULT_GRPC_ADDR,
    await resolveToken(values['token-file'], process.env),
    await resolveClientTls(values, process.env),
  );
  try {
    const response = await client.call<{ exportJson: Buffer; entryCount: number }>('/zebra.v1.AuditService/ExportLog', {
      eventId: values.event ?? '',
      sinceMs: parseTime('since', values.since),
      untilMs: parseTime('until', values.until),
    });
    await writeOut(values.out, Buffer.from(response.exportJson).toString('utf8'));
    process.stderr.write(`${response.entryCount} entries\n`);
  } finally {
    client.close();
  }
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
