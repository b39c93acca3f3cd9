/**
 * What bench:scale measures on a running core process: per-call latency percentiles, the
 * core's resident memory (by pid, from /proc), the event loop's longest stall (prom-client's
 * nodejs_eventloop_lag_max_seconds, and /healthz answered every 50 ms), and full export and
 * verify throughput through the CLI.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequestRaw } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { ClientTls } from '../../cli/client-tls.js';
import { resolve } from 'node:path';
import { testHttps } from '../harness/pki.js';

/** A figure, or why it could not be had (a failure is recorded, not thrown). */
export type Figure =
  { readonly value: number; readonly note?: string } | { readonly failed: string } | { readonly text: string };

export interface CallFigures {
  readonly p50: Figure;
  readonly p99: Figure;
  readonly samples: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function reason(err: unknown): string {
  const e = err as { details?: string; message?: string };
  return (e.details ?? e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 120);
}

/**
 * Calls `op` one at a time, `samples` times, or fewer once `budgetMs` is spent (at least two
 * calls); a first call under a second is a warm-up and not counted. `before` runs untimed
 * ahead of each call. The first failure ends the sampling and is the figure.
 */
export async function sampleCalls(
  op: (i: number) => Promise<unknown>,
  { samples, budgetMs }: { samples: number; budgetMs: number },
  before?: (i: number) => Promise<unknown>,
): Promise<CallFigures> {
  const latencies: number[] = [];
  const started = performance.now();
  try {
    for (let i = 0; latencies.length < samples; i++) {
      await before?.(i);
      const t0 = performance.now();
      await op(i);
      const ms = performance.now() - t0;
      if (!(i === 0 && ms < 1000)) latencies.push(ms);
      if (latencies.length >= 2 && performance.now() - started > budgetMs) break;
    }
  } catch (err) {
    const failed = `FAIL ${reason(err)}`;
    return { p50: { failed }, p99: { failed }, samples: latencies.length };
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: { value: percentile(latencies, 50) },
    p99: { value: percentile(latencies, 99) },
    samples: latencies.length,
  };
}

/** A process's resident set and its peak so far, in bytes; undefined where /proc is missing. */
export function residentBytes(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the highest seen. */
export function watchRss(pid: number, everyMs = 50): { stop(): number } {
  let peak = residentBytes(pid)?.rss ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, residentBytes(pid)?.rss ?? 0);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, residentBytes(pid)?.rss ?? 0);
    },
  };
}

/**
 * Asks /healthz every `everyMs`, one request at a time, until stopped; returns the slowest
 * answer in ms (a request the event loop cannot answer waits as long as it is blocked).
 */
export function pollHealth(httpAddress: string, everyMs = 50): { stop(): Promise<number> } {
  let running = true;
  let slowestMs = 0;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await testHttps(`https://${httpAddress}/healthz`).catch(() => undefined);
      const ms = performance.now() - t0;
      slowestMs = Math.max(slowestMs, ms);
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - ms)));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return slowestMs;
    },
  };
}

/**
 * The longest event-loop delay of the core since the previous read, in ms, from its /metrics
 * (prom-client resets the histogram behind nodejs_eventloop_lag_max_seconds at each scrape).
 */
export async function eventLoopMaxMs(httpAddress: string): Promise<number | undefined> {
  // A core that died (out of memory at a large export, say) has no figure; the bench goes on.
  const res = await testHttps(`https://${httpAddress}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const match = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m.exec(res.text());
  return match ? Number(match[1]) * 1000 : undefined;
}

const CLI = resolve(import.meta.dirname, '../../bin/zebra.js');

/** Runs the zebra CLI; resolves with its exit code, output and wall time. */
function runCli(args: readonly string[]): Promise<{ code: number; out: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
    child.stderr.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-4000)));
    child.on('error', fail);
    child.on('exit', (code) => done({ code: code ?? 1, out, seconds: (performance.now() - t0) / 1000 }));
  });
}

export interface CliTarget {
  readonly grpcAddress: string;
  readonly tokenFile: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly publicKeyFile: string;
}

/**
 * The full export, as an auditor runs it: `zebra audit export --out FILE`, timed. Whatever the
 * export RPC and the CLI become (a stream written to disk as it is read), this stays the
 * measurement. Entries/s from the count the CLI reports; a failure is the figure.
 */
export async function exportFullLog(target: CliTarget, outFile: string): Promise<Figure> {
  const run = await runCli([
    'audit',
    'export',
    '--server',
    target.grpcAddress,
    '--token-file',
    target.tokenFile,
    '--ca',
    target.caFile,
    '--cert',
    target.certFile,
    '--key',
    target.keyFile,
    '--out',
    outFile,
  ]);
  // The last progress line: "1,234,567 entries, 98,765/s: wrote FILE in 12.5 s".
  const done = run.out.split('\n').findLast((l) => l.includes(': wrote '));
  // The rate is the CLI's own (from its first request, without node's start-up).
  const [, entries, rate] = (/^([\d,]+) entries, ([\d,]+)\/s/.exec(done ?? '') ?? []).map((n) =>
    Number(n?.replaceAll(',', '')),
  );
  if (run.code !== 0 || !Number.isFinite(entries) || !Number.isFinite(rate))
    return { failed: `FAIL ${lastLine(run.out)}` };
  return { value: rate!, note: `${entries} entries, ${run.seconds.toFixed(1)} s with the CLI's start` };
}

/**
 * The full export over the HTTPS gateway (POST …/ExportLog, chunked NDJSON), piped to a file as
 * it arrives, timed; entries/s from the export's end line. A failure is the figure.
 */
export async function exportOverGateway(
  httpAddress: string,
  tls: ClientTls,
  token: string,
  outFile: string,
): Promise<Figure> {
  const t0 = performance.now();
  try {
    const res = await new Promise<IncomingMessage>((done, fail) => {
      const req = httpsRequestRaw(
        `https://${httpAddress}/api/v1/zebra.v1.AuditService/ExportLog`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          ca: tls.ca,
          cert: tls.cert,
          key: tls.key,
        },
        done,
      );
      req.on('error', fail);
      req.end('{}');
    });
    if (res.statusCode !== 200) {
      const body = (await res.toArray()).join('').slice(0, 200);
      return { failed: `FAIL HTTP ${res.statusCode}: ${body}` };
    }
    await pipeline(res, createWriteStream(outFile));
  } catch (err) {
    return { failed: `FAIL ${reason(err)}` };
  }
  const seconds = (performance.now() - t0) / 1000;
  const trailer = JSON.parse(await lastLineOf(outFile)) as { type?: string; entries?: number };
  if (trailer.type !== 'end' || !Number.isSafeInteger(trailer.entries))
    return { failed: 'FAIL the gateway stream ended without its end line' };
  const entries = trailer.entries!;
  return { value: entries / seconds, note: `${entries} entries in ${seconds.toFixed(1)} s` };
}

/** The last line of a (large) text file, read from its end. */
async function lastLineOf(file: string): Promise<string> {
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const { buffer } = await handle.read(Buffer.alloc(length), 0, length, size - length);
    return buffer.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
  } finally {
    await handle.close();
  }
}

/** `zebra audit verify FILE --public-key PEM`, timed: entries/s, or the failure. */
export async function verifyExport(target: CliTarget, file: string): Promise<Figure> {
  const run = await runCli(['audit', 'verify', file, '--public-key', target.publicKeyFile]);
  // "verified N entries in T s (R/s)": the verifier's own rate, without node's start-up.
  const counted = /verified (\d+) entries in [\d.]+ s \((\d+)\/s\)/.exec(run.out);
  const [entries, rate] = [Number(counted?.[1] ?? NaN), Number(counted?.[2] ?? NaN)];
  if (run.code !== 0 || !Number.isFinite(rate)) return { failed: `FAIL ${lastLine(run.out)}` };
  return { value: rate, note: `${entries} entries, ${run.seconds.toFixed(1)} s with the CLI's start` };
}

function lastLine(out: string): string {
  const lines = out.trim().split('\n');
  return (lines.find((l) => /error|FAIL|larger|refused/i.test(l)) ?? lines.at(-1) ?? '').slice(0, 120);
}
