import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseCheckpointJson, parseExportJson, verifyAuditExport } from '../core/index.js';
import type { SignedCheckpoint } from '../core/index.js';

const DEFAULT_HTTP_ADDR = '127.0.0.1:8080';

async function getFromCore(path: string, httpAddr: string): Promise<string> {
  const url = `http://${httpAddr}${path}`;
  const res = await fetch(url).catch((err: unknown) => {
    throw new Error(
      `cannot reach the zebra core at ${httpAddr} (${err instanceof Error ? err.message : String(err)}); pass --http HOST:PORT`,
    );
  });
  const body = await res.text();
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
  const { values } = parseArgs({ args, options: { http: { type: 'string' }, out: { type: 'string', short: 'o' } } });
  const body = await getFromCore(path, values.http ?? process.env.ZEBRA_HTTP_ADDR ?? DEFAULT_HTTP_ADDR);
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
  const log = parseExportJson(await readJson(file, 'export'));
  const publicKey = await readPublicKey(values['public-key']);
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

/** `zebra audit export|checkpoint|public-key|verify`. */
export async function audit(args: string[]): Promise<number | undefined> {
  const [sub, ...rest] = args;
  if (sub === 'export') return save(rest, '/api/audit/export');
  if (sub === 'checkpoint') return save(rest, '/api/audit/checkpoint');
  if (sub === 'public-key') return save(rest, '/api/audit/public-key');
  if (sub === 'verify') return verify(rest);
  return undefined;
}
