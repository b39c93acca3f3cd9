import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { InfractionEvent } from '../../proto/index.js';
import { makeEvent, otherDeviceKey, subjectOf } from '../harness/events.js';
import { testPki } from '../harness/pki.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { tempDir, waitFor } from '../harness/temp.js';

/** Runs the CLI in-process: exit code, stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

async function apiArgs(stack: TestStack, dir: string, name: string, token: string): Promise<string[]> {
  const file = join(dir, `${name}.token`);
  await writeFile(file, token, { mode: 0o600 });
  return ['--server', stack.core.core.grpcAddress, '--ca', (await testPki()).caFile, '--token-file', file];
}

async function newUser(stack: TestStack, dir: string, admin: string[], userId: string, role: string) {
  const added = await cli(['users', 'add', userId, '--role', role, ...admin]);
  expect(added.code, added.err).toBe(0);
  return apiArgs(stack, dir, userId, await stack.core.enrol(added.out.trim()));
}

describe('quarantine list | show over gRPC', () => {
  it('lists kept messages (reason, subject, time, size), shows one decoded or as a bounded hex preview, refuses a reviewer', async () => {
    await using stack = await startTestStack();
    await using work = await tempDir();
    const admin = await apiArgs(stack, work.path, 'admin', stack.core.adminToken);
    const supervisor = await newUser(stack, work.path, admin, 'sue', 'supervisor');
    const auditor = await newUser(stack, work.path, admin, 'ada', 'auditor');
    const reviewer = await newUser(stack, work.path, admin, 'rita', 'reviewer');

    // A well-formed event signed with a key dev-1 is not registered with, then 200 KB of junk.
    const js = jetstream(stack.nc);
    const event = makeEvent(otherDeviceKey().privateKey, { cameraSeq: 7 });
    const signed = await js.publish(subjectOf(event), InfractionEvent.encode(event).finish());
    const junk = Buffer.alloc(200_000, 0xab);
    junk.write('JUNK', 0, 'ascii');
    const junkAck = await js.publish('zebra.v1.events.site-1.dev-1.cam-1', junk);
    const ids = await waitFor('both quarantined', async () => {
      const { rows } = await stack.core.core.db.query<{ id: string; stream_seq: string }>(
        'SELECT id, stream_seq FROM quarantine WHERE stream_seq = ANY($1::bigint[]) ORDER BY stream_seq',
        [[signed.seq, junkAck.seq]],
      );
      return rows.length === 2 ? rows.map((r) => Number(r.id)) : undefined;
    });

    const table = await cli(['quarantine', 'list', ...supervisor]);
    expect(table.code, table.err).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^ID\s+RECEIVED \(UTC\)\s+REASON\s+SUBJECT\s+BYTES\s+STATE$/);
    // Newest first.
    expect(table.out.split('\n')[1]).toMatch(
      new RegExp(
        `^${ids[1]}\\s+\\S+ \\S+\\s+\\S+\\s+zebra\\.v1\\.events\\.site-1\\.dev-1\\.cam-1\\s+200000\\s+quarantined$`,
      ),
    );
    expect(table.out).toMatch(
      new RegExp(`^${ids[0]}\\s+\\S+ \\S+\\s+unknown_key\\s+${subjectOf(event).replace(/\./g, '\\.')}\\s`, 'm'),
    );
    const one = JSON.parse((await cli(['quarantine', 'list', '--limit', '1', '--json', ...auditor])).out) as {
      messages: { id: string; payloadSizeBytes: string; payloadKeptBytes: string }[];
    };
    expect(one.messages.map((m) => Number(m.id))).toEqual([ids[1]]);
    expect(Number(one.messages[0]!.payloadSizeBytes)).toBe(200_000);
    expect(Number(one.messages[0]!.payloadKeptBytes)).toBeLessThan(200_000);
    const next = JSON.parse(
      (await cli(['quarantine', 'list', '--before', String(ids[1]), '--json', ...auditor])).out,
    ) as {
      messages: { id: string }[];
    };
    expect(next.messages.map((m) => Number(m.id))).toEqual([ids[0]]);

    const decoded = await cli(['quarantine', 'show', String(ids[0]), ...auditor]);
    expect(decoded.code, decoded.err).toBe(0);
    expect(decoded.out).toMatch(/reason\s+unknown_key: signed with key/);
    expect(decoded.out).toContain('Decoded message:');
    expect(decoded.out).toContain(`"eventId": "${event.eventId}"`);

    const hex = await cli(['quarantine', 'show', String(ids[1]), ...supervisor]);
    expect(hex.code, hex.err).toBe(0);
    expect(hex.out).not.toContain('Decoded message:');
    expect(hex.out).toMatch(/Payload does not decode \(only part was kept\); first 256 of 200000 bytes:/);
    expect(hex.out).toMatch(/^00000000 {2}4a 55 4e 4b ab ab/m);
    expect(hex.out).toContain('JUNK');
    expect(hex.out.split('\n').filter((l) => /^[0-9a-f]{8} {2}/.test(l))).toHaveLength(16);
    expect(hex.out.length).toBeLessThan(4000);

    for (const args of [['list'], ['show', String(ids[0])]]) {
      const refused = await cli(['quarantine', ...args, ...reviewer]);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/permission|not allowed|role/i);
    }
    const missing = await cli(['quarantine', 'show', '999999', ...auditor]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no quarantined message 999999/);
    const bad = await cli(['quarantine', 'show', 'x1', ...auditor]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/must be a whole number/);
  }, 120_000);
});
