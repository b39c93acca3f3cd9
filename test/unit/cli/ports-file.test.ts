import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPortsFile } from '../../../cli/nats-server.js';

describe("reading nats-server's ports file", () => {
  it('waits (undefined) while the file is missing or half written, then reads the client port', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zebra-ports-'));
    try {
      expect(await readPortsFile(dir, 4242)).toBeUndefined();
      const file = join(dir, 'nats-server_4242.ports');
      for (const partial of ['', '{"nats":["nats://127.0.0.1:']) {
        await writeFile(file, partial);
        expect(await readPortsFile(dir, 4242)).toBeUndefined();
      }
      await writeFile(file, '{"nats":["nats://127.0.0.1:41234"],"monitoring":[]}');
      expect(await readPortsFile(dir, 4242)).toBe(41234);
      expect(await readPortsFile(dir, 4243)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
