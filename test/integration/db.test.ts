import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { insertEvent, migrate } from '../../core/index.js';
import { insertQuarantine } from '../../core/events/events-repo.js';
import { storeVerifiedEvents } from '../../core/ingest/store.js';
import { appendAudit, insertAuditEntries, reserveAuditSeqsSql } from '../../core/audit/audit-repo.js';
import { createTestDatabase, openTestDatabase } from '../harness/database.js';
import { tempDir } from '../harness/temp.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';

/** The migration files' ids, in file-name order. */
async function migrationIds(): Promise<string[]> {
  const dir = fileURLToPath(new URL('../../core/db/migrations/', import.meta.url));
  return (await readdir(dir))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

describe('database', () => {
  it('migrates forward once; a second run applies nothing', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    const ids = await migrationIds();
    expect(ids.slice(0, 2)).toEqual(['0001_events', '0002_audit']);
    expect(await migrate(db)).toEqual(ids);
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations');
    expect(rows.map((r) => r.id).sort()).toEqual(await migrationIds());
  });

  it('inserting the same event twice stores it once and says so', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const event = makeEvent(testDeviceKey().privateKey);
    expect(await insertEvent(db, event, 1)).toBe(true);
    expect(await insertEvent(db, event, 2)).toBe(false);
    const { rows } = await db.query<{ stream_seq: string | number }>('SELECT stream_seq FROM events');
    expect(rows.map((r) => Number(r.stream_seq))).toEqual([1]);
  });

  it('a batch holding the same event twice stores it once, audits it once, and keeps stream order', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const key = testDeviceKey().privateKey;
    const [a, b] = [makeEvent(key, { cameraSeq: 1 }), makeEvent(key, { cameraSeq: 2 })];
    const item = (event: typeof a, streamSeq: number) => ({
      event,
      message: { streamSeq, payload: new Uint8Array([streamSeq]) },
      signatureKeyId: 'k',
    });
    const stored = await db.transaction((tx) => storeVerifiedEvents(tx, [item(a, 1), item(b, 2), item(a, 3)]));
    expect(stored).toEqual([true, true, false]);
    const again = await db.transaction((tx) => storeVerifiedEvents(tx, [item(b, 4)]));
    expect(again).toEqual([false]);
    const audit = await db.query<{ seq: string | number; subject: string }>(
      "SELECT seq, subject FROM audit_log WHERE action = 'event.ingested' ORDER BY seq",
    );
    expect(audit.rows.map((r) => [Number(r.seq), r.subject])).toEqual([
      [0, a.eventId],
      [1, b.eventId],
    ]);
    const reviews = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM reviews');
    expect(Number(reviews.rows[0]!.n)).toBe(2);
  });

  it('numbers audit entries without gaps or repeats when ingest batches and single appends run side by side', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const key = testDeviceKey().privateKey;
    const batch = (first: number) =>
      db.transaction((tx) =>
        storeVerifiedEvents(
          tx,
          Array.from({ length: 5 }, (_, i) => ({
            event: makeEvent(key, { cameraSeq: first + i }),
            message: { streamSeq: first + i, payload: new Uint8Array([i]) },
            signatureKeyId: 'k',
          })),
        ),
      );
    // Two appends in one transaction, as a review step with its deduction makes.
    const single = (i: number) =>
      db.transaction(async (tx) => {
        await appendAudit(tx, { atMs: i, actor: 'system:test', action: 'test.single', subject: `s${i}`, details: {} });
        await appendAudit(tx, { atMs: i, actor: 'system:test', action: 'test.second', subject: `s${i}`, details: {} });
      });
    // One that fails after its append: its numbers go back, and nobody else's move.
    const failing = db.transaction(async (tx) => {
      await appendAudit(tx, { atMs: 0, actor: 'system:test', action: 'test.failed', subject: 'x', details: {} });
      throw new Error('boom');
    });
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => batch(1 + 5 * i)),
      ...Array.from({ length: 10 }, (_, i) => single(i)),
      failing.catch(() => undefined),
    ]);
    const { rows } = await db.query<{ seq: string | number; action: string }>(
      'SELECT seq, action FROM audit_log ORDER BY seq',
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(rows.filter((r) => r.action === 'test.failed')).toEqual([]);
  });

  it('refuses at commit a transaction that reserved audit numbers and did not use them all', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    await expect(
      db.transaction(async (tx) => {
        const { rows } = await tx.query<{ first_seq: string | number }>(reserveAuditSeqsSql('2'));
        await insertAuditEntries(tx, Number(rows[0]!.first_seq), [
          { atMs: 1, actor: 'system:test', action: 'test.one', subject: 'a', details: {} },
        ]);
      }),
    ).rejects.toThrow(/audit log holds 1 entries but 2 sequence numbers were reserved/);
    const entry = await db.transaction((tx) =>
      appendAudit(tx, { atMs: 2, actor: 'system:test', action: 'test.two', subject: 'b', details: {} }),
    );
    expect(entry.seq).toBe(0);
  });

  it('quarantines a redelivered message once', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const entry = { streamSeq: 9, subject: 's', reasonCode: 'undecodable', reason: 'r', payload: new Uint8Array([1]) };
    expect(await insertQuarantine(db, entry)).toBe(true);
    expect(await insertQuarantine(db, entry)).toBe(false);
    expect((await db.query('SELECT 1 FROM quarantine')).rows).toHaveLength(1);
  });

  it('rolls a failed transaction back', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await migrate(db);
    const event = makeEvent(testDeviceKey().privateKey);
    await expect(
      db.transaction(async (tx) => {
        await insertEvent(tx, event, 1);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await db.query('SELECT 1 FROM events')).rows).toHaveLength(0);
  });

  it('runs concurrent transactions one after another, and keeps other statements out of an open one', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await db.query('CREATE TABLE counter (n int NOT NULL)');
    await db.query('INSERT INTO counter VALUES (0)');
    const readThenWrite = () =>
      db.transaction(async (tx) => {
        // FOR UPDATE serialises these on PostgreSQL; on PGlite, one session, only the gate does.
        const { rows } = await tx.query<{ n: number }>('SELECT n FROM counter FOR UPDATE');
        await new Promise((r) => setTimeout(r, 1));
        await tx.query('UPDATE counter SET n = $1', [rows[0]!.n + 1]);
      });
    // A transaction that fails: the statements started beside it must not be rolled back with it.
    const failing = db.transaction(async (tx) => {
      await tx.query('UPDATE counter SET n = n + 1000');
      throw new Error('boom');
    });
    const outside = Array.from({ length: 10 }, () => db.query('UPDATE counter SET n = n + 100'));
    await Promise.all([...Array.from({ length: 20 }, readThenWrite), ...outside, failing.catch(() => undefined)]);
    const { rows } = await db.query<{ n: number }>('SELECT n FROM counter');
    // 20 increments lost none to interleaving; the 10 outside statements survived the rollback.
    expect(rows[0]!.n).toBe(20 + 10 * 100);
  });

  it('runs a migration script as the database parses it: semicolons in strings, $$ and $tag$ bodies, comments', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await using dir = await tempDir('zebra-migrations-');
    // A splitter at line-ending semicolons cuts the string literal after "two;" and the $body$
    // function after "a;", and would drop nothing here that PostgreSQL does not drop itself.
    await writeFile(
      join(dir.path, '0001_tricky.sql'),
      [
        '-- a comment; with a semicolon;',
        'CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL); /* two statements; one line */ CREATE TABLE t2 (x int);',
        "INSERT INTO notes VALUES (1, 'one; two;",
        "three;'), (2, 'it''s -- not a comment;');",
        'CREATE FUNCTION notes_guard() RETURNS trigger LANGUAGE plpgsql AS $$',
        'BEGIN',
        "  IF NEW.body = 'x;' THEN RAISE EXCEPTION 'refused;'; END IF;",
        '  RETURN NEW;',
        'END;',
        '$$;',
        'CREATE TRIGGER notes_guard BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION notes_guard();',
        "CREATE FUNCTION tagged() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;",
        "b;' $body$;",
        '',
      ].join('\n'),
    );
    expect(await migrate(db, `${dir.path}/`)).toEqual(['0001_tricky']);
    const { rows } = await db.query<{ id: number; body: string }>('SELECT id, body FROM notes ORDER BY id');
    expect(rows).toEqual([
      { id: 1, body: 'one; two;\nthree;' },
      { id: 2, body: "it's -- not a comment;" },
    ]);
    expect((await db.query<{ t: string }>('SELECT tagged() AS t')).rows[0]!.t).toBe('a;\nb;');
    await expect(db.query("INSERT INTO notes VALUES (3, 'x;')")).rejects.toThrow('refused;');
    expect((await db.query('SELECT x FROM t2')).rows).toEqual([]);
  });

  it('a migration that fails part-way leaves nothing of itself behind and is not recorded', async () => {
    await using target = await createTestDatabase();
    await using db = await openTestDatabase(target);
    await using dir = await tempDir('zebra-migrations-');
    await writeFile(join(dir.path, '0001_ok.sql'), 'CREATE TABLE a (x int);\n');
    await writeFile(
      join(dir.path, '0002_broken.sql'),
      "CREATE TABLE b (x int);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES ('not a number');\n",
    );
    await expect(migrate(db, `${dir.path}/`)).rejects.toThrow(/migration 0002_broken\.sql failed: .*not a number/);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations');
    expect(rows.map((r) => r.id)).toEqual(['0001_ok']);
    expect((await db.query('SELECT x FROM a')).rows).toEqual([]);
    const tables = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'b'");
    expect(tables.rows).toEqual([]);
    // The session is usable afterwards (no transaction left open or aborted).
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
