import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { signCheckpoint } from '../../core/audit/checkpoint.js';
import { entryLeafHash } from '../../core/audit/entry.js';
import { exportToLines } from '../../core/audit/export-lines.js';
import { merkleRoot } from '../../core/audit/merkle.js';
import type { AuditEntry } from '../../core/audit/entry.js';
import { InfractionEvent } from '../../proto/index.js';
import type { ApiClient } from '../../cli/api-client.js';
import type { TestCore } from '../harness/core.js';
import { testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { tempDir, waitFor } from '../harness/temp.js';
import type { TempDir } from '../harness/temp.js';

interface ExportFile {
  entries: (AuditEntry & { leafHash: string })[];
  checkpoints: { treeSize: number }[];
}

/** The lines of a zebra-audit-export/v2 file, by kind. */
function parseV2(text: string): ExportFile {
  const lines = text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { type?: string });
  return {
    entries: lines.filter((l) => l.type === 'entry') as unknown as ExportFile['entries'],
    checkpoints: lines.filter((l) => l.type === 'checkpoint') as unknown as ExportFile['checkpoints'],
  };
}

/** Runs the CLI in-process and returns its exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), out };
  } finally {
    spy.mockRestore();
  }
}

describe('audit trail of ingest, exported and verified by an auditor', () => {
  let stack: TestStack;
  let core: TestCore;
  let nc: NatsConnection;
  let work: TempDir;
  let auditor: ApiClient;
  let tokenFile: string;
  const { privateKey } = testDeviceKey();
  const http = () => core.core.httpAddress;
  let caFile: string;

  beforeAll(async () => {
    work = await tempDir();
    stack = await startTestStack();
    caFile = (await testPki()).caFile;
    ({ core, nc } = stack);
    auditor = await core.person('ada', ['auditor']);
    tokenFile = join(work.path, 'ada.token');
    await writeFile(tokenFile, auditor.token!);
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await work?.[Symbol.asyncDispose]();
  });

  /** Entries about ingest (people and tokens created by the harness are left out). */
  const ingestEntries = async () =>
    (await exportLog()).entries.filter((e) => e.action === 'event.ingested' || e.action === 'message.quarantined');
  const exportLog = async (): Promise<ExportFile> => {
    const parts: Buffer[] = [];
    for await (const chunk of auditor.stream<{ lines: Buffer }>('/zebra.v1.AuditService/ExportLog', {}))
      parts.push(chunk.lines);
    return parseV2(Buffer.concat(parts).toString('utf8'));
  };
  const tokenArgs = () => ['--server', core.core.grpcAddress, '--token-file', tokenFile, '--ca', caFile];

  it('records each ingest and each quarantine once, in the same transaction', async () => {
    const js = jetstream(nc);
    const events = [1, 2, 3].map((cameraSeq) => makeEvent(privateKey, { cameraSeq }));
    for (const e of events) await js.publish(subjectOf(e), InfractionEvent.encode(e).finish());
    await js.publish(subjectOf(events[0]!), InfractionEvent.encode(events[0]!).finish()); // redelivered duplicate
    await js.publish('zebra.v1.events.site-1.dev-1.cam-1', new TextEncoder().encode('garbage'));
    await waitFor('five messages handled', async () => ((await ingestEntries()).length >= 4 ? true : undefined));
    const log = await exportLog();
    const entries = await ingestEntries();
    expect(entries.map((e) => e.action).sort()).toEqual([
      'event.ingested',
      'event.ingested',
      'event.ingested',
      'message.quarantined',
    ]);
    expect(
      entries
        .filter((e) => e.action === 'event.ingested')
        .map((e) => e.subject)
        .sort(),
    ).toEqual(events.map((e) => e.eventId).sort());
    expect(entries.find((e) => e.action === 'event.ingested')!.actor).toBe('device:dev-1');
    expect(log.checkpoints.at(-1)!.treeSize).toBe(log.entries.length);
  });

  it('exports a log the verifier accepts with the pinned key, and names an edited entry', async () => {
    const file = join(work.path, 'export.json');
    const pem = join(work.path, 'audit.pub.pem');
    expect((await cli(['audit', 'export', ...tokenArgs(), '-o', file])).code).toBe(0);
    expect((await cli(['audit', 'public-key', '--http', http(), '--ca', caFile, '-o', pem])).code).toBe(0);
    const ok = await cli(['audit', 'verify', file, '--public-key', pem]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('OK: every entry, root and signature verifies') });

    const edited = (await readFile(file, 'utf8')).split('\n').map((line) => {
      const parsed = line ? (JSON.parse(line) as { type?: string; seq?: number; actor?: string }) : undefined;
      return parsed?.type === 'entry' && parsed.seq === 2
        ? JSON.stringify({ ...parsed, actor: 'device:someone-else' })
        : line;
    });
    await writeFile(join(work.path, 'edited.json'), edited.join('\n'));
    const bad = await cli(['audit', 'verify', join(work.path, 'edited.json'), '--public-key', pem]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('first bad entry: seq 2');
  });

  it('exports one event with inclusion proofs that verify, and names a tampered entry', async () => {
    const eventId = (await ingestEntries()).find((e) => e.action === 'event.ingested')!.subject;
    const file = join(work.path, 'event.json');
    const pem = join(work.path, 'audit.pub.pem');
    expect((await cli(['audit', 'export', ...tokenArgs(), '--event', eventId, '-o', file])).code).toBe(0);
    const ok = await cli(['audit', 'verify', file, '--public-key', pem]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('every inclusion proof verify') });
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'zebra-audit-extract/v2', selection: { eventId } });
    expect(lines).toHaveLength(3); // header, one entry, trailer
    const entry = JSON.parse(lines[1]!) as { seq: number; details: object };
    lines[1] = JSON.stringify({ ...entry, details: { ...entry.details, cameraSeq: 99 } });
    await writeFile(join(work.path, 'event-edited.json'), `${lines.join('\n')}\n`);
    const bad = await cli(['audit', 'verify', join(work.path, 'event-edited.json'), '--public-key', pem]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`entry ${entry.seq} (event.ingested) is not in the signed tree`);
  });

  it('catches a rewritten history with a checkpoint the auditor kept, even when re-signed with the real key', async () => {
    const kept = join(work.path, 'kept-checkpoint.json');
    const pem = join(work.path, 'audit.pub.pem');
    expect((await cli(['audit', 'checkpoint', '--http', http(), '--ca', caFile, '-o', kept])).code).toBe(0);
    const e = makeEvent(privateKey, { cameraSeq: 4 });
    await jetstream(nc).publish(subjectOf(e), InfractionEvent.encode(e).finish());
    await waitFor('fifth entry', async () => ((await ingestEntries()).length >= 5 ? true : undefined));
    // The operator deletes the rows and re-signs: here, by truncating the export and signing a new head.
    const key = createPrivateKey(await readFile(core.auditKeyFile, 'utf8'));
    const exported = await exportLog();
    const truncated = exported.entries.slice(0, 2).map((e) => ({ ...e, leafHash: Buffer.from(e.leafHash, 'hex') }));
    const head = signCheckpoint(
      { origin: 'zebra-audit/v1', treeSize: 2, rootHash: merkleRoot(truncated.map(entryLeafHash)), atMs: Date.now() },
      key,
      createPublicKey(key),
    );
    const forged = join(work.path, 'forged.json');
    await writeFile(
      forged,
      [...exportToLines('zebra-audit/v1', Date.now(), { entries: truncated, checkpoints: [head] })].join(''),
    );
    expect((await cli(['audit', 'verify', forged, '--public-key', pem])).code).toBe(0); // the forgery is self-consistent…
    const caught = await cli(['audit', 'verify', forged, '--public-key', pem, '--checkpoint', kept]);
    expect(caught.code).toBe(1); // …but not with the checkpoint the auditor kept
    expect(caught.out).toMatch(/FAIL truncated/);
  });

  it('refuses to update or delete audit rows', async () => {
    await expect(core.core.db.query("UPDATE audit_log SET actor = 'x' WHERE seq = 0")).rejects.toThrow(/append-only/);
    await expect(core.core.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });

  it('refuses a file that is not an export, naming the field', async () => {
    const junk = join(work.path, 'junk.json');
    await writeFile(junk, JSON.stringify({ format: 'zebra-audit-export/v1', entries: 'no' }));
    const errors: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (errors.push(String(c)), true));
    try {
      expect((await cli(['audit', 'verify', junk, '--public-key', join(work.path, 'audit.pub.pem')])).code).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('')).toMatch(/not a zebra-audit-export\/v1 file/);
  });
});
