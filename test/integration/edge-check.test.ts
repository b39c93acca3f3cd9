import { copyFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../cli/main.js';
import { freePorts } from '../../cli/nats-server.js';
import { defaultCacheDir } from '../../edge/index.js';
import { manifestFile, vtestClip } from '../harness/models.js';
import { startTestNats, testUser } from '../harness/nats.js';
import { testPki } from '../harness/pki.js';
import { tempDir } from '../harness/temp.js';

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

const SCHEDULE = resolve(import.meta.dirname, '../../edge/demo/signal-schedule.yaml');
const ZONE = {
  id: 'crosswalk-1',
  version: 1,
  polygon: [
    [0.45, 0.28],
    [0.62, 0.28],
    [0.66, 0.62],
    [0.48, 0.62],
  ],
};

function camera(id: string, input: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, source: { input }, zone: ZONE, signal: { schedule: 'schedule.yaml' }, ...extra };
}

describe('zebra edge check', () => {
  it('passes a good config: every line ✓, exit 0', async () => {
    const device = testUser('dev-1');
    await using nats = await startTestNats([device]);
    await using work = await tempDir();
    await Promise.all(['yolox-nano', 'ultraface-rfb-640'].map((id) => manifestFile(id)));
    const clip = await vtestClip(join(work.path, 'clip.avi'), 2);
    await copyFile(SCHEDULE, join(work.path, 'schedule.yaml'));
    await writeFile(join(work.path, 'nats.secret'), `${device.password}\n`, { mode: 0o600 });
    const config = join(work.path, 'edge.yaml');
    await writeFile(
      config,
      stringify({
        deviceId: 'dev-1',
        siteId: 'site-1',
        stateDir: 'state',
        nats: { servers: [nats.url], user: 'dev-1', passwordFile: 'nats.secret', caFile: nats.caFile },
        models: { cacheDir: defaultCacheDir(process.env) },
        cameras: [camera('cam-1', clip)],
      }),
    );
    const r = await cli(['edge', 'check', '--config', config]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).not.toContain('✗');
    for (const line of [
      /^✓ config: every key valid, 1 camera/m,
      /^✓ camera cam-1 schedule \(cameras\.0\.signal\.schedule\)/m,
      /^✓ camera cam-1 zone .*simple, 4 corners inside the frame/m,
      /^✓ camera cam-1 source .*: 768x576$/m,
      /^✓ model yolox-nano: .*SHA-256 matches/m,
      /^✓ nats .*: connected as dev-1 over TLS/m,
    ])
      expect(r.out).toMatch(line);
    expect(r.out).toMatch(/^all \d+ checks passed$/m);
  }, 120_000);

  it('reports all five mistakes of a bad config in one run, each naming what to fix, and exits 1', async () => {
    await using work = await tempDir();
    await Promise.all(['yolox-nano', 'ultraface-rfb-640'].map((id) => manifestFile(id)));
    const clip = await vtestClip(join(work.path, 'clip.avi'), 2);
    await copyFile(SCHEDULE, join(work.path, 'schedule.yaml'));
    await writeFile(join(work.path, 'nats.secret'), 'x\n', { mode: 0o600 });
    const [closedNats, closedRtsp] = await freePorts(2);
    const config = join(work.path, 'edge.yaml');
    await writeFile(
      config,
      stringify({
        deviceId: 'dev-1',
        siteId: 'site-1',
        stateDir: 'state',
        // 1. nobody listens there
        nats: {
          servers: [`tls://127.0.0.1:${closedNats}`],
          user: 'dev-1',
          passwordFile: 'nats.secret',
          caFile: (await testPki()).caFile,
        },
        models: { cacheDir: defaultCacheDir(process.env) },
        cameras: [
          // 2. a bow tie: the corners are not in order around the zone
          camera('cam-1', clip, {
            zone: {
              ...ZONE,
              polygon: [
                [0.2, 0.2],
                [0.8, 0.8],
                [0.8, 0.2],
                [0.2, 0.8],
              ],
            },
          }),
          // 3. a mistyped URL
          camera('cam-2', 'rtsp//cam-2.local/stream1'),
          // 4. a camera that does not answer
          camera('cam-3', `rtsp://127.0.0.1:${closedRtsp}/stream1`),
          // 5. a schedule file that is not there
          camera('cam-4', clip, { signal: { schedule: 'no-such-schedule.yaml' } }),
        ],
      }),
    );
    const r = await cli(['edge', 'check', '--config', config, '--timeout', '10']);
    expect(r.code).toBe(1);
    const failedLines = r.out.split('\n').filter((l) => l.startsWith('✗'));
    expect(failedLines, r.out).toHaveLength(5);
    expect(r.out).toMatch(/^✗ nats tls:\/\/127\.0\.0\.1:\d+: cannot connect as dev-1 over TLS/m);
    expect(r.out).toMatch(/^✗ camera cam-1 zone \(cameras\.0\.zone\.polygon\): edge \d-\d crosses edge \d-\d/m);
    expect(r.out).toMatch(/^✗ camera cam-2 source \(cameras\.1\.source\.input\): .*did you mean rtsp:\/\//m);
    expect(r.out).toMatch(/^✗ camera cam-3 source \(cameras\.2\.source\.input\): ffprobe cannot read rtsp:/m);
    expect(r.out).toMatch(/^✗ camera cam-4 schedule \(cameras\.3\.signal\.schedule\): .*no-such-schedule\.yaml/m);
    // What is right is said to be right, in the same run.
    expect(r.out).toMatch(/^✓ camera cam-2 zone/m);
    expect(r.out).toMatch(/^✓ camera cam-1 source .*768x576$/m);
    expect(r.out).toMatch(/^5 of \d+ checks failed$/m);
  }, 120_000);
});
