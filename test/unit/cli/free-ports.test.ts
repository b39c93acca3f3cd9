import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from '../../../cli/nats-server.js';

const ephemeralFrom = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('free ports for servers a test starts', () => {
  it('hands out distinct ports below the kernel’s ephemeral range, each free to listen on', async () => {
    const ports = await freePorts(12);
    expect(new Set(ports).size).toBe(12);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralFrom);
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives the preferred port when it is free, and another when it is taken', async () => {
    const [preferred] = (await freePorts(1)) as [number];
    expect(await freePort(preferred)).toBe(preferred);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(preferred, '127.0.0.1', resolve));
    try {
      const other = await freePort(preferred);
      expect(other).not.toBe(preferred);
      expect(other).toBeLessThan(ephemeralFrom);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
