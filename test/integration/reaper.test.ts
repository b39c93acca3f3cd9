import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../harness/reaper.js';
import { tempDir } from '../harness/temp.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('a test run leaves no server behind', () => {
  it('kills the nats-server and chromium a timed-out test started, and names them', async () => {
    await using dir = await tempDir();
    const pidsFile = join(dir.path, 'pids.json');
    const run = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/reaper/vitest.config.ts'],
      { cwd: ROOT, env: { ...process.env, ZEBRA_REAPER_PIDS: pidsFile }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    run.stdout.on('data', (c: Buffer) => (output += c.toString()));
    run.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((r) => run.once('exit', r));
    // The fixture did start its servers, and did time out with them up.
    const pids = JSON.parse(await readFile(pidsFile, 'utf8')) as number[];
    expect(pids.length).toBeGreaterThanOrEqual(2); // nats-server and chromium's processes
    expect(code).toBe(1);
    expect(output).toMatch(/timed out/i);
    // The run's teardown killed both and said so.
    expect(output).toMatch(/killed \d+ process\(es\) the tests left running/);
    expect(output).toMatch(/nats-server/);
    // (chromium may be gone before the teardown: playwright ends its browsers when the worker exits.)
    const running = await Promise.all(pids.map((pid) => isRunning(pid)));
    expect(pids.filter((_, i) => running[i])).toEqual([]);
  }, 300_000); // 56 s measured beside stress --cpu 4 (a nested vitest run)
});
