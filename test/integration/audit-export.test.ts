import { status } from '@grpc/grpc-js';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../cli/api-client.js';
import { main } from '../../cli/main.js';
import { appendAuditMany } from '../../core/audit/audit-repo.js';
import type { NewAuditEntry } from '../../core/audit/audit-repo.js';
import { testHttps, testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { tempDir, waitFor } from '../harness/temp.js';
import type { TempDir } from '../harness/temp.js';

/** Well over one 4 MiB gRPC message: ~400 bytes a line. */
const ENTRIES = 16_000;
const EXPORT = '/zebra.v1.AuditService/ExportLog';

interface Chunk {
  lines: Buffer;
  entryCount: number;
  treeSize: number;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    spyOut.mockRestore();
    spyErr.mockRestore();
  }
}

const afterHeader = (text: string): string => text.slice(text.indexOf('\n') + 1);

describe('streaming audit export at a size one message cannot carry', () => {
  let stack: TestStack;
  let work: TempDir;
  let auditor: ApiClient;
  let tokenArgs: string[];
  let pem: string;
  let full: string; // the uninterrupted export file
  let fullText: string;

  beforeAll(async () => {
    work = await tempDir();
    stack = await startTestStack();
    auditor = await stack.core.person('ada', ['auditor']);
    const tokenFile = join(work.path, 'ada.token');
    await writeFile(tokenFile, auditor.token!);
    const { caFile } = await testPki();
    tokenArgs = ['--server', stack.core.core.grpcAddress, '--token-file', tokenFile, '--ca', caFile];
    pem = join(work.path, 'audit.pub.pem');
    await writeFile(pem, stack.core.core.api.signer.publicKeyPem);
    const db = stack.core.core.db;
    for (let batch = 0; batch < 4; batch += 1) {
      const entries: NewAuditEntry[] = Array.from({ length: ENTRIES / 4 }, (_, i) => ({
        atMs: 1_790_000_000_000 + batch * 10_000 + i,
        actor: 'system:bulk-test',
        action: 'test.bulk',
        subject: `bulk-${batch}-${i}`,
        details: { batch, i, note: 'n'.repeat(200) },
      }));
      await db.transaction((tx) => appendAuditMany(tx, entries));
      // A checkpoint between batches, so the file interleaves several.
      await auditor.call('/zebra.v1.AuditService/GetCheckpoint');
    }
    full = join(work.path, 'full.ndjson');
    const run = await cli(['audit', 'export', ...tokenArgs, '-o', full]);
    expect(run.code, run.err).toBe(0);
    fullText = await readFile(full, 'utf8');
  }, 120_000);

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await work?.[Symbol.asyncDispose]();
  });

  it('streams over gRPC in several chunks, writes a file over 4 MiB, and the file verifies', async () => {
    expect((await stat(full)).size).toBeGreaterThan(4 * 1024 * 1024);
    const lines = fullText.trimEnd().split('\n');
    const header = JSON.parse(lines[0]!) as { format: string; treeSize: number };
    expect(header.format).toBe('zebra-audit-export/v2');
    expect(header.treeSize).toBeGreaterThan(ENTRIES);
    expect(lines.filter((l) => l.startsWith('{"type":"checkpoint"')).length).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'end', entries: header.treeSize });
    const ok = await cli(['audit', 'verify', full, '--public-key', pem]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('OK: every entry, root and signature verifies') });

    let chunks = 0;
    let lastCount = 0;
    for await (const chunk of auditor.stream<Chunk>(EXPORT, { resume: true, fromSeq: 0, treeSize: header.treeSize })) {
      chunks += 1;
      expect(chunk.lines.length).toBeLessThan(4 * 1024 * 1024);
      expect(chunk.entryCount).toBeGreaterThanOrEqual(lastCount);
      lastCount = chunk.entryCount;
    }
    expect(chunks).toBeGreaterThan(5);
    expect(lastCount).toBe(header.treeSize);
  });

  it('streams the same file over the HTTPS gateway as chunked NDJSON', async () => {
    const treeSize = (JSON.parse(fullText.slice(0, fullText.indexOf('\n'))) as { treeSize: number }).treeSize;
    const res = await testHttps(`https://${stack.core.core.httpAddress}/api/v1${EXPORT}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auditor.token}` },
      body: JSON.stringify({ treeSize }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const body = res.text();
    expect(afterHeader(body)).toBe(afterHeader(fullText)); // only the export time differs
    const file = join(work.path, 'gateway.ndjson');
    await writeFile(file, body);
    expect((await cli(['audit', 'verify', file, '--public-key', pem])).code).toBe(0);
  });

  it('resumes a file cut anywhere into one equal to the uninterrupted export', async () => {
    const firstCheckpointEnd = fullText.indexOf('\n', fullText.indexOf('{"type":"checkpoint"')) + 1;
    const cuts = [
      fullText.indexOf('\n') + 1, // just the header
      fullText.indexOf('\n') + 50, // inside the first entry
      firstCheckpointEnd, // right after a checkpoint line
      firstCheckpointEnd - 10, // inside a checkpoint line
      Math.floor(fullText.length / 2),
      fullText.length - 5, // inside the trailer
    ];
    for (const cut of cuts) {
      const file = join(work.path, `cut-${cut}.ndjson`);
      await writeFile(file, fullText.slice(0, cut));
      const run = await cli(['audit', 'export', ...tokenArgs, '-o', file, '--resume']);
      expect(run.code, run.err).toBe(0);
      expect(run.err).toContain('resuming');
      expect((await readFile(file, 'utf8')) === fullText, `cut at ${cut}`).toBe(true);
    }
    const done = await cli(['audit', 'export', ...tokenArgs, '-o', full, '--resume']);
    expect(done.err).toContain('nothing to resume');
  });

  it('resumes after the client stopped reading mid-stream, and the result verifies', async () => {
    const file = join(work.path, 'interrupted.ndjson');
    const parts: Buffer[] = [];
    for await (const chunk of auditor.stream<Chunk>(EXPORT, {})) {
      parts.push(chunk.lines);
      if (parts.length === 3) break; // the generator cancels the call
    }
    // A write cut in the middle of a line, as a crash would leave it.
    const partial = Buffer.concat(parts);
    await writeFile(file, partial.subarray(0, partial.length - 7));
    const run = await cli(['audit', 'export', ...tokenArgs, '-o', file, '--resume']);
    expect(run.code, run.err).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(afterHeader(text)).toBe(afterHeader(fullText));
    expect((await cli(['audit', 'verify', file, '--public-key', pem])).code).toBe(0);
    // The server noticed the cancel and stopped (it waits for 'drain' after the first chunks).
    await waitFor(
      'the cancelled export counted',
      async () =>
        (await stack.core.core.api.metrics.apiCalls.get()).values.some(
          (v) => v.labels.method === '/zebra.v1.AuditService/ExportLog' && v.labels.code === 'CANCELLED',
        ) || undefined,
    );
  });

  it('extracts a period with inclusion proofs, streamed, resumable and verifying', async () => {
    const file = join(work.path, 'period.ndjson');
    // 110 entries: two pages of proofs (each proof is still recomputed from every leaf here).
    const since = new Date(1_790_000_000_000 + 3890).toISOString();
    const until = new Date(1_790_000_000_000 + 4000).toISOString();
    const run = await cli(['audit', 'export', ...tokenArgs, '--since', since, '--until', until, '-o', file]);
    expect(run.code, run.err).toBe(0);
    const text = await readFile(file, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'zebra-audit-extract/v2' });
    expect(lines.length).toBe(2 + 110);
    const ok = await cli(['audit', 'verify', file, '--public-key', pem]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('every inclusion proof verify') });
    await writeFile(file, text.slice(0, Math.floor(text.length / 3)));
    expect((await cli(['audit', 'export', ...tokenArgs, '-o', file, '--resume'])).code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('refuses anyone but an auditor, over gRPC and the gateway, and audits the refusals', async () => {
    const reviewer = await stack.core.person('rita', ['reviewer']);
    try {
      const drain = async (): Promise<void> => {
        for await (const _ of reviewer.stream(EXPORT, {})) void _;
      };
      await expect(drain()).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
      const res = await testHttps(`https://${stack.core.core.httpAddress}/api/v1${EXPORT}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${reviewer.token}` },
        body: '{}',
      });
      expect(res.status).toBe(403);
      const { rows } = await stack.core.core.db.query<{ n: string | number }>(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'auth.denied' AND actor = 'rita' AND subject = $1",
        [EXPORT],
      );
      expect(Number(rows[0]!.n)).toBe(2);
    } finally {
      reviewer.close();
    }
  });
});
