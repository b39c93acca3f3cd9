/**
 * One-pass verification throughput: writes a valid zebra-audit-export/v2 file of N entries
 * (default 500,000; checkpoints every 1,000) to a temp dir, then verifies it from disk the way
 * `zebra audit verify` does, and prints entries/s and the heap used.
 *   tsx test/bench/audit-verify.ts [N] [--keep FILE]   (--keep: also write the file and its key there)
 */
import { generateKeyPairSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCheckpoint } from '../../core/audit/checkpoint.js';
import type { AuditEntry } from '../../core/audit/entry.js';
import { entryLeafHash } from '../../core/audit/entry.js';
import { checkpointLine, entryLine, headerLine, trailerLine } from '../../core/audit/export-lines.js';
import { Frontier } from '../../core/audit/stream-verify.js';
import { splitLines, verifyExportLines } from '../../core/audit/verify-stream.js';

const n = Number(process.argv[2] ?? 500_000);
const keep = process.argv.indexOf('--keep') > 0 ? process.argv[process.argv.indexOf('--keep') + 1] : undefined;
const EVERY = 1000;
const ORIGIN = 'zebra-audit/bench';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

const dir = await mkdtemp(join(tmpdir(), 'zebra-verify-'));
const path = join(dir, 'export.ndjson');
try {
  const out = createWriteStream(path);
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await once(out, 'drain');
  };
  const frontier = new Frontier();
  let checkpoints = 0;
  await write(headerLine({ format: 'zebra-audit-export/v2', origin: ORIGIN, exportedAtMs: Date.now(), treeSize: n }));
  for (let seq = 0; seq < n; seq += 1) {
    const entry: AuditEntry = {
      seq,
      atMs: 1_790_000_000_000 + seq * 37,
      actor: seq % 10 === 0 ? 'device:site-1-dev-3' : `reviewer-${seq % 17}`,
      action: seq % 10 === 0 ? 'event.ingested' : 'review.confirm',
      subject: `0f8fad5b-d9cb-469f-a165-${String(seq).padStart(12, '0')}`,
      details: { cameraId: 'cam-1', cameraSeq: seq, reason: 'clear_view', version: 3 },
    };
    const leaf = entryLeafHash(entry);
    frontier.push(leaf);
    await write(entryLine(entry, leaf));
    if ((seq + 1) % EVERY === 0 || seq === n - 1) {
      const cp = { origin: ORIGIN, treeSize: seq + 1, rootHash: frontier.root(), atMs: 1_790_000_000_000 + seq };
      await write(checkpointLine(signCheckpoint(cp, privateKey, publicKey)));
      checkpoints += 1;
    }
  }
  await write(trailerLine({ entries: n, checkpoints }));
  out.end();
  await once(out, 'close');
  const { size } = await stat(path);
  const heapBefore = process.memoryUsage().heapUsed;
  const startMs = performance.now();
  const result = await verifyExportLines(splitLines(createReadStream(path, { highWaterMark: 1024 * 1024 })), publicKey);
  const seconds = (performance.now() - startMs) / 1000;
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(
    JSON.stringify({
      entries: n,
      checkpoints,
      fileMiB: +(size / 2 ** 20).toFixed(1),
      isValid: result.isValid,
      seconds: +seconds.toFixed(2),
      entriesPerSecond: Math.round(n / seconds),
      heapDeltaMiB: +((heapAfter - heapBefore) / 2 ** 20).toFixed(1),
    }),
  );
  if (!result.isValid) process.exitCode = 1;
  if (keep) {
    await copyFile(path, keep);
    await writeFile(`${keep}.pub.pem`, publicKey.export({ type: 'spki', format: 'pem' }));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
