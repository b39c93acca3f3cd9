import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { appendAuditMany } from '../../core/audit/audit-repo.js';
import { testHttps, testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import { tempDir } from '../harness/temp.js';

/**
 * Throughput of a full export over gRPC (the CLI writing to disk) and over the gateway, and of
 * `zebra audit verify`, on a log of MEASURE_ENTRIES bulk-appended entries. Off unless set:
 *   MEASURE_ENTRIES=200000 DATABASE_URL=... npx vitest run test/integration/audit-export-measure.test.ts
 */
const N = Math.floor(Number(process.env.MEASURE_ENTRIES ?? 0) / 20_000) * 20_000;

describe.skipIf(!(N >= 20_000))('export and verify throughput (measurement)', () => {
  it('exports over gRPC and HTTPS and verifies', async () => {
    const work = await tempDir();
    const stack = await startTestStack();
    const auditor = await stack.core.person('ada', ['auditor']);
    const tokenFile = join(work.path, 't');
    await writeFile(tokenFile, auditor.token!);
    const { caFile } = await testPki();
    const pem = join(work.path, 'k.pem');
    await writeFile(pem, stack.core.core.api.signer.publicKeyPem);
    for (let b = 0; b < Math.floor(N / 20_000); b += 1) {
      await stack.core.core.db.transaction((tx) =>
        appendAuditMany(
          tx,
          Array.from({ length: 20_000 }, (_, i) => ({
            atMs: 1_790_000_000_000 + i,
            actor: 'system:m',
            action: 'test.m',
            subject: `s-${b}-${i}`,
            details: { b, i, note: 'n'.repeat(150) },
          })),
        ),
      );
      await auditor.call('/zebra.v1.AuditService/GetCheckpoint', {}, { deadlineMs: 120_000 });
    }
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const file = join(work.path, 'f.ndjson');
    let rssMax = 0;
    const timer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 50);
    const rss0 = process.memoryUsage().rss;
    let t = performance.now();
    const code = await main([
      'audit',
      'export',
      '--server',
      stack.core.core.grpcAddress,
      '--token-file',
      tokenFile,
      '--ca',
      caFile,
      '-o',
      file,
    ]);
    const grpcS = (performance.now() - t) / 1000;
    t = performance.now();
    const res = await testHttps(`https://${stack.core.core.httpAddress}/api/v1/zebra.v1.AuditService/ExportLog`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditor.token}` },
      body: '{}',
      timeoutMs: 600_000,
    });
    const httpS = (performance.now() - t) / 1000;
    clearInterval(timer);
    t = performance.now();
    const v = await main(['audit', 'verify', file, '--public-key', pem]);
    const verifyS = (performance.now() - t) / 1000;
    spy.mockRestore();
    const size = (await stat(file)).size;
    console.log(
      JSON.stringify({
        N,
        code,
        v,
        status: res.status,
        fileMiB: +(size / 2 ** 20).toFixed(1),
        grpcEntriesPerS: Math.round(N / grpcS),
        httpEntriesPerS: Math.round(N / httpS),
        verifyEntriesPerS: Math.round(N / verifyS),
        rssStartMiB: Math.round(rss0 / 2 ** 20),
        rssMaxMiB: Math.round(rssMax / 2 ** 20),
      }),
    );
    expect(v).toBe(0);
    await stack[Symbol.asyncDispose]();
    await work[Symbol.asyncDispose]();
  }, 900_000);
});
