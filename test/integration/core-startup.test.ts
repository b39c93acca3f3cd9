import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testServerTls } from '../harness/pki.js';
import { startTestNats } from '../harness/nats.js';
import { writeTestNatsClient } from '../harness/nats-setup.js';
import { tempDir } from '../harness/temp.js';
import { setupTestHubDefaults } from '../harness/nats-setup.js';

const CLI = resolve(import.meta.dirname, '../../bin/zebra.js');

function occupyPort(): Promise<Server> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => r(s));
  });
}

describe('core startup failure', () => {
  it('exits with the reason, and does not hang, when its gRPC port is taken', async () => {
    await using work = await tempDir();
    await using nats = await startTestNats();
    const busy = await occupyPort();
    const port = (busy.address() as { port: number }).port;
    const config = join(work.path, 'core.yaml');
    const tls = await testServerTls();
    await setupTestHubDefaults(nats);
    await writeFile(
      config,
      stringify({
        database: { pgliteDir: join(work.path, 'db') },
        nats: await writeTestNatsClient(nats, work.path, 'core'),
        grpc: { listen: `127.0.0.1:${port}`, tls },
        http: { listen: '127.0.0.1:0', tls },
        audit: { signingKeyFile: join(work.path, 'k.pem') },
        auth: { bootstrapTokenFile: join(work.path, 'admin-token') },
      }),
    );
    try {
      const child = spawn(process.execPath, [CLI, 'core', 'run', '--config', config], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((r) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          r(null);
        }, 30_000);
        child.once('exit', (c) => {
          clearTimeout(timer);
          r(c);
        });
      });
      expect(code, 'the core must exit, not hang').toBe(1);
      expect(stderr).toContain(`CORE_CONFIG_INVALID: grpc.listen: cannot bind 127.0.0.1:${port}`);
    } finally {
      busy.close();
    }
  });
});
