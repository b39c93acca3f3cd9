/**
 * Checkpoint signing, proofs and an 8-entry extract at 10k and 1M audit entries on PostgreSQL
 * (DATABASE_URL): the costs stay O(log n). The log is bulk-loaded in SQL (leaf rows, then the
 * nodes by the same level-by-level SQL as migration 0012's backfill), then a few entries are
 * appended through insertAuditEntries so the right edge is the normal path's.
 *
 *   DATABASE_URL=postgres://... npx tsx test/bench/audit-tree.ts [sizes, default 10000,1000000]
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { appendAuditMany, latestCheckpoint } from '../../core/audit/audit-repo.js';
import { keyIdOf } from '../../core/audit/checkpoint.js';
import { buildExtract, verifyExtract } from '../../core/audit/extract.js';
import { merkleRoot, verifyInclusion } from '../../core/audit/merkle.js';
import { checkpointNow } from '../../core/audit/signer.js';
import type { CheckpointSigner } from '../../core/audit/signer.js';
import { proveConsistency, proveInclusion } from '../../core/audit/tree-repo.js';
import { migrate } from '../../core/db/migrate.js';
import type { Database } from '../../core/db/database.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';

const PER_SUBJECT = 8;
const BASE_MS = 1_700_000_000_000;

async function backfillSql(): Promise<string> {
  const sql = await readFile(new URL('../../core/db/migrations/0012_audit_nodes.sql', import.meta.url), 'utf8');
  return sql.slice(sql.indexOf('DO $$'), sql.indexOf('$$;') + 3);
}

async function bulkLoad(db: Database, n: number): Promise<void> {
  const subjects = Math.max(1, Math.floor(n / PER_SUBJECT));
  const backfill = await backfillSql();
  await db.transaction(async (tx) => {
    await tx.query('UPDATE audit_head SET next_seq = $1', [n]);
    await tx.query(
      `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash)
       SELECT seq, to_timestamp(($2::bigint + seq * 1000) / 1000.0), 'system:bench', 'bench.entry', subject, c,
         sha256('\\x00'::bytea || c)
       FROM (SELECT seq, 'subj-' || (seq % $3) AS subject,
               convert_to(format('{"action":"bench.entry","actor":"system:bench","atMs":%s,"details":{},"seq":%s,"subject":"subj-%s"}',
                 $2::bigint + seq * 1000, seq, seq % $3), 'UTF8') AS c
             FROM generate_series(0, $1::bigint - 1) AS seq) AS rows`,
      [n, BASE_MS, subjects],
    );
    await tx.query(backfill);
  });
  await db.query('ANALYZE audit_log');
  await db.query('ANALYZE audit_nodes');
}

function signer(): CheckpointSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    origin: 'zebra-audit/bench',
    keyId: keyIdOf(publicKey),
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey,
  };
}

/** p50 and p99 of `fn`, each run after an untimed `setup`. */
async function timed(
  runs: number,
  fn: (i: number) => Promise<void>,
  setup: () => Promise<void> = () => Promise.resolve(),
): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    await setup();
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(runs / 2)]!, p99: ms[Math.min(runs - 1, Math.ceil(runs * 0.99) - 1)]! };
}

const fmt = (r: { p50: number; p99: number }): string => `${r.p50.toFixed(2)} / ${r.p99.toFixed(2)}`;

async function measure(n: number): Promise<Record<string, string>> {
  await using target = await createTestDatabase();
  await using db = await openTestDatabase(target);
  await migrate(db);
  let t = performance.now();
  await bulkLoad(db, n);
  const loadS = ((performance.now() - t) / 1000).toFixed(1);
  const key = signer();
  let size = n;
  const append = (): Promise<unknown> =>
    db.transaction((tx) =>
      appendAuditMany(tx, [
        { atMs: BASE_MS + size * 1000, actor: 'system:bench', action: 'bench.append', subject: 'x', details: {} },
      ]),
    );
  await append();
  size += 1;

  // The previous way, once, for comparison: every leaf loaded and the root recomputed.
  t = performance.now();
  const { rows } = await db.query<{ leaf_hash: Uint8Array }>('SELECT leaf_hash FROM audit_log ORDER BY seq');
  const oldRoot = merkleRoot(rows.map((r) => Buffer.from(r.leaf_hash)));
  const oldMs = performance.now() - t;

  // Each signing follows an (untimed) append, so each one signs a new tree head.
  const sign = await timed(
    30,
    async () => void (await checkpointNow(db, key, Date.now())),
    async () => {
      await append();
      size += 1;
    },
  );
  const cp = (await latestCheckpoint(db))!;
  if (cp.treeSize !== size) throw new Error(`signed ${cp.treeSize}, log has ${size}`);
  const first = await db.query<{ leaf_hash: Uint8Array }>(
    'SELECT leaf_hash FROM audit_log WHERE seq < $1 ORDER BY seq',
    [n + 1],
  );
  if (!merkleRoot(first.rows.map((r) => Buffer.from(r.leaf_hash))).equals(oldRoot))
    throw new Error('root mismatch with the reference');
  const idle = await timed(30, async () => void (await checkpointNow(db, key, Date.now())));
  const inclusion = await timed(200, async (i) => {
    const index = Math.floor((((i * 7919) % 1000) / 1000) * size);
    const p = await proveInclusion(db, index, cp.treeSize);
    if (!verifyInclusion(index, cp.treeSize, p.leafHash, p.auditPath, cp.rootHash)) throw new Error('bad proof');
  });
  const consistency = await timed(100, async (i) => {
    await proveConsistency(db, 1 + Math.floor((((i * 7919) % 1000) / 1000) * (size - 1)), cp.treeSize);
  });
  const extract = await timed(50, async (i) => {
    const x = await buildExtract(db, cp, { subject: `subj-${(i * 7919) % Math.floor(n / PER_SUBJECT)}` });
    if (x.entries.length !== PER_SUBJECT || !verifyExtract(x, key.publicKey).isValid) throw new Error('bad extract');
  });
  return {
    entries: String(size),
    'bulk load s': loadS,
    'old: load all leaves + root, ms': oldMs.toFixed(0),
    'checkpoint sign p50/p99 ms': fmt(sign),
    'checkpoint, nothing new p50/p99 ms': fmt(idle),
    'inclusion proof p50/p99 ms': fmt(inclusion),
    'consistency proof p50/p99 ms': fmt(consistency),
    '8-entry extract p50/p99 ms': fmt(extract),
  };
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL to a PostgreSQL server');
  const sizes = (process.argv[2] ?? '10000,1000000').split(',').map(Number);
  const results = [];
  for (const n of sizes) {
    results.push(await measure(n));
    console.log(results.at(-1));
  }
  console.table(results);
}

await main();
