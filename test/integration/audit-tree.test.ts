import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { appendAuditMany, listCheckpoints } from '../../core/audit/audit-repo.js';
import type { NewAuditEntry } from '../../core/audit/audit-repo.js';
import { isCheckpointSigned, keyIdOf } from '../../core/audit/checkpoint.js';
import type { SignedCheckpoint } from '../../core/audit/checkpoint.js';
import { buildExtract, verifyExtract } from '../../core/audit/extract.js';
import { consistencyProof, inclusionProof, merkleRoot } from '../../core/audit/merkle.js';
import { SIGNER_LOCK_KEY, checkpointNow } from '../../core/audit/signer.js';
import type { CheckpointSigner } from '../../core/audit/signer.js';
import { appendedNodes, readerOf } from '../../core/audit/tree-nodes.js';
import { proveConsistency, proveInclusion, treeRoot } from '../../core/audit/tree-repo.js';
import { migrate } from '../../core/db/migrate.js';
import type { Database } from '../../core/db/database.js';
import { storeVerifiedEvents } from '../../core/ingest/store.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import { migrateBefore } from '../harness/migrate-before.js';

const isPostgres = Boolean(process.env.DATABASE_URL);
const SEED = Number(process.env.AUDIT_TREE_SEED ?? Date.now() % 1_000_000);

/** A small seeded generator (mulberry32): a failing run is repeated with AUDIT_TREE_SEED. */
function random(seed: number): (below: number) => number {
  let a = seed;
  return (below) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

function testSigner(): CheckpointSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    origin: 'zebra-audit/test',
    keyId: keyIdOf(publicKey),
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey,
  };
}

const entry = (i: number, subject = `s${i % 7}`): NewAuditEntry => ({
  atMs: 1_700_000_000_000 + i * 1000,
  actor: 'system:test',
  action: 'test.append',
  subject,
  details: { i },
});

async function leafHashes(db: Database): Promise<Buffer[]> {
  const { rows } = await db.query<{ leaf_hash: Uint8Array }>('SELECT leaf_hash FROM audit_log ORDER BY seq');
  return rows.map((r) => Buffer.from(r.leaf_hash));
}

async function storedNodes(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ level: number; idx: string | number; hash: Uint8Array }>(
    'SELECT level, idx, hash FROM audit_nodes ORDER BY level, idx',
  );
  return rows.map((r) => `${r.level}:${Number(r.idx)}:${Buffer.from(r.hash).toString('hex')}`);
}

/** Every node of level >= 1 over `leaves`, computed in memory (one append of all leaves). */
function expectedNodes(leaves: readonly Buffer[]): string[] {
  return appendedNodes(readerOf([]), 0, leaves)
    .sort((a, b) => a.level - b.level || a.idx - b.idx)
    .map((n) => `${n.level}:${n.idx}:${n.hash.toString('hex')}`);
}

const hex = (hashes: readonly Buffer[]): string[] => hashes.map((h) => h.toString('hex'));

describe(`the audit tree in ${isPostgres ? 'PostgreSQL' : 'PGlite'} (seed ${SEED})`, () => {
  it('appends in many transactions of random sizes (and through ingest) keep nodes whose roots and proofs equal the reference', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const next = random(SEED);
    const key = testDeviceKey().privateKey;
    let appended = 0;
    let cameraSeq = 1;
    for (let t = 0; t < 40; t += 1) {
      if (t % 5 === 4) {
        // The ingest path: events reserve their numbers in the insert, then append.
        const count = 1 + next(6);
        await db.transaction((tx) =>
          storeVerifiedEvents(
            tx,
            Array.from({ length: count }, (_, i) => ({
              event: makeEvent(key, { cameraSeq: cameraSeq + i }),
              message: { streamSeq: cameraSeq + i, payload: new Uint8Array([i]) },
              signatureKeyId: 'k',
            })),
          ),
        );
        cameraSeq += count;
      } else {
        const count = 1 + next(t % 3 === 0 ? 40 : 4);
        await db.transaction(async (tx) => {
          // Sometimes two appends in one transaction, as a review step with its deduction.
          const split = next(count + 1);
          await appendAuditMany(
            tx,
            Array.from({ length: split }, (_, i) => entry(appended + i)),
          );
          await appendAuditMany(
            tx,
            Array.from({ length: count - split }, (_, i) => entry(appended + split + i)),
          );
        });
      }
      appended = Number((await db.query<{ n: string }>('SELECT next_seq AS n FROM audit_head')).rows[0]!.n);
    }
    const leaves = await leafHashes(db);
    expect(leaves).toHaveLength(appended);
    expect(await storedNodes(db)).toEqual(expectedNodes(leaves));
    for (let trial = 0; trial < 25; trial += 1) {
      const size = 1 + next(leaves.length);
      const index = next(size);
      const m = next(size + 1);
      expect((await treeRoot(db, size)).toString('hex')).toBe(merkleRoot(leaves, size).toString('hex'));
      const { leafHash, auditPath } = await proveInclusion(db, index, size);
      expect(leafHash.toString('hex')).toBe(leaves[index]!.toString('hex'));
      expect(hex(auditPath)).toEqual(hex(inclusionProof(index, leaves, size)));
      expect(hex(await proveConsistency(db, m, size))).toEqual(hex(consistencyProof(m, size, leaves)));
    }
    expect((await treeRoot(db, leaves.length)).toString('hex')).toBe(merkleRoot(leaves).toString('hex'));
  });

  it('backfills the nodes of a log written before migration 0012, equal to those appends write', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrateBefore(db, '0012');
    const n = 1 + random(SEED + 1)(600);
    await db.transaction(async (tx) => {
      await tx.query('UPDATE audit_head SET next_seq = $1', [n]);
      await tx.query(
        `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash)
         SELECT s, now(), 'test', 'test.entry', 's', int8send(s), sha256('\\x00'::bytea || int8send(s))
         FROM generate_series(0, $1::bigint - 1) AS s`,
        [n],
      );
    });
    expect((await migrate(db))[0]).toBe('0012_audit_nodes'); // and the ones after it
    const leaves = await leafHashes(db);
    expect(leaves).toHaveLength(n);
    expect(await storedNodes(db)).toEqual(expectedNodes(leaves));
    // Appends go on from the backfilled right edge.
    await db.transaction((tx) => appendAuditMany(tx, [entry(n), entry(n + 1), entry(n + 2)]));
    const all = await leafHashes(db);
    expect(await storedNodes(db)).toEqual(expectedNodes(all));
    expect((await treeRoot(db, all.length)).toString('hex')).toBe(merkleRoot(all).toString('hex'));
  });

  it('refuses at commit entries written without their Merkle nodes', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    await expect(
      db.transaction(async (tx) => {
        await tx.query('UPDATE audit_head SET next_seq = 2');
        await tx.query(
          `INSERT INTO audit_log (seq, at, actor, action, subject, canonical, leaf_hash)
           SELECT s, now(), 'test', 'test.entry', 's', '\\x00', sha256(int8send(s)) FROM generate_series(0, 1) AS s`,
        );
      }),
    ).rejects.toThrow(/lacks its Merkle node \(level 1, index 0\)/);
    expect(await leafHashes(db)).toEqual([]);
  });

  it('signs from the nodes, pages extracts whose proofs verify, and signs nothing while the log has not grown', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const signer = testSigner();
    expect(await checkpointNow(db, signer, 1)).toBeUndefined();
    await db.transaction((tx) =>
      appendAuditMany(
        tx,
        Array.from({ length: 2500 }, (_, i) => entry(i)),
      ),
    );
    const first = (await checkpointNow(db, signer, 2))!;
    expect(first.treeSize).toBe(2500);
    expect(first.rootHash.toString('hex')).toBe(merkleRoot(await leafHashes(db)).toString('hex'));
    expect(isCheckpointSigned(first, signer.publicKey)).toBe(true);
    expect(await checkpointNow(db, signer, 3)).toEqual(first);
    await db.transaction((tx) => appendAuditMany(tx, [entry(2500)]));
    const second = (await checkpointNow(db, signer, 4))!;
    expect(second.treeSize).toBe(2501);
    expect((await listCheckpoints(db)).map((c) => c.treeSize)).toEqual([2500, 2501]);

    // An extract against the older checkpoint, whole and page by page.
    const whole = await buildExtract(db, first, { subject: 's3' });
    expect(whole.entries.map((e) => e.entry.seq)).toEqual(
      Array.from({ length: 2500 }, (_, i) => i).filter((i) => i % 7 === 3),
    );
    expect(verifyExtract(whole, signer.publicKey)).toEqual({ isValid: true, problems: [] });
    const pages: number[][] = [];
    for (let afterSeq = -1; ;) {
      const page = await buildExtract(db, first, { subject: 's3' }, { afterSeq, limit: 100 });
      expect(verifyExtract(page, signer.publicKey).isValid).toBe(true);
      pages.push(page.entries.map((e) => e.entry.seq));
      if (page.entries.length < 100) break;
      afterSeq = page.entries.at(-1)!.entry.seq;
    }
    expect(pages.flat()).toEqual(whole.entries.map((e) => e.entry.seq));
    expect(pages.length).toBe(Math.floor(whole.entries.length / 100) + 1);
    const period = await buildExtract(
      db,
      second,
      { sinceMs: 1_700_000_000_000 + 2400 * 1000, untilMs: 1_700_000_000_000 + 2501 * 1000 },
      { afterSeq: 2449 },
    );
    expect(period.entries.map((e) => e.entry.seq)).toEqual(Array.from({ length: 51 }, (_, i) => 2450 + i));
    expect(verifyExtract(period, signer.publicKey).isValid).toBe(true);
    await expect(buildExtract(db, first, { subject: 's3' }, { limit: 0 })).rejects.toThrow(/limit must be 1 to/);
  });

  it.runIf(isPostgres)(
    'signs on one replica at a time: a held signer lock means the newest checkpoint, not a second signature',
    async () => {
      await using target = await createTestDatabase();
      const replicas = [await openTestDatabase(target), await openTestDatabase(target), await openTestDatabase(target)];
      try {
        const db = replicas[0]!;
        await migrate(db);
        const signer = testSigner();
        await db.transaction((tx) => appendAuditMany(tx, [entry(0), entry(1), entry(2)]));
        const first = (await checkpointNow(db, signer, 1))!;
        await db.transaction((tx) => appendAuditMany(tx, [entry(3)]));

        // Another replica is signing: this one answers with the newest checkpoint and signs nothing.
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        const holder = replicas[1]!.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [SIGNER_LOCK_KEY]);
          locked();
          await held;
        });
        let waited: Promise<SignedCheckpoint | undefined> | undefined;
        let hasWaited = false;
        try {
          await isLocked;
          expect(await checkpointNow(db, signer, 2)).toEqual(first);
          expect((await listCheckpoints(db)).length).toBe(1);
          // A caller who needs the whole log (an export, a custody report) waits for the signer.
          waited = checkpointNow(replicas[2]!, signer, 3, { waitForSigner: true });
          void waited.finally(() => (hasWaited = true));
          // Seen waiting: its request for the signer's lock is in the server, not granted.
          await vi.waitFor(
            async () => {
              const { rows } = await db.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_locks
                  WHERE locktype = 'advisory' AND NOT granted
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              );
              expect(rows[0]!.n).toBe(1);
            },
            { timeout: 30_000, interval: 50 },
          );
          expect(hasWaited).toBe(false);
        } finally {
          release();
          await holder;
        }
        // The lock ended with the holder's transaction (which signed nothing): the waiter signs.
        expect((await waited)!.treeSize).toBe(4);
        expect((await checkpointNow(db, signer, 4))!.treeSize).toBe(4);
        expect((await listCheckpoints(db)).length).toBe(2);

        // Many concurrent calls on three connections pools, each with its own clock: whatever
        // each returns is the checkpoint before or the one stored; two signers would each return
        // their own signature, and one of them would not be the stored one.
        for (let round = 0; round < 5; round += 1) {
          await db.transaction((tx) => appendAuditMany(tx, [entry(4 + round)]));
          const before = (await listCheckpoints(db)).at(-1)!;
          const results = await Promise.all(
            Array.from({ length: 12 }, (_, i) => checkpointNow(replicas[i % 3]!, signer, 1000 * round + 10 + i)),
          );
          const stored = await listCheckpoints(db);
          expect(stored.length).toBe(3 + round);
          const newest = stored.at(-1)!;
          expect(newest.treeSize).toBe(5 + round);
          for (const r of results) expect([before, newest]).toContainEqual(r);
          expect(results).toContainEqual(newest);
        }
      } finally {
        for (const r of replicas) await r.close();
      }
    },
  );
});
