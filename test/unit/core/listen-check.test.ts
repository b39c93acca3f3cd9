import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { assertCanListen } from '../../../core/listen-check.js';

describe('the listen check before start', () => {
  it('refuses a taken port naming the key, and leaves a free one free', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const { port } = busy.address() as AddressInfo;
    try {
      await expect(assertCanListen(`127.0.0.1:${port}`, 'grpc.listen')).rejects.toMatchObject({
        code: 'CORE_CONFIG_INVALID',
        message: expect.stringContaining(`grpc.listen: cannot bind 127.0.0.1:${port}: listen EADDRINUSE`),
      });
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
    await assertCanListen(`127.0.0.1:${port}`, 'grpc.listen');
    // Checked and released: the real bind can take it.
    const again = createServer();
    await new Promise<void>((r, reject) => again.once('error', reject).listen(port, '127.0.0.1', () => r()));
    await new Promise<void>((r) => again.close(() => r()));
    await expect(assertCanListen('127.0.0.1:0', 'http.listen')).resolves.toBeUndefined();
  });
});
