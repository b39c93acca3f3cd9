import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../../cli/nats-server.js';
import { createEdgeLogger, parseEdgeConfig, startEdge } from '../../edge/index.js';
import { devicePermissions } from '../../proto/index.js';
import { createLogSink } from '../harness/log-sink.js';
import { testMirrors, vtestClip } from '../harness/models.js';
import { startTestNats, testUser } from '../harness/nats.js';
import { setupTestHubDefaults, writeTestNatsClient } from '../harness/nats-setup.js';
import { testHttps, testPki, testServerTls } from '../harness/pki.js';
import { tempDir } from '../harness/temp.js';

const SITE = 'site-h';
const DEVICE = 'dev-h';
const NO_FRAME_MS = 3_000;
const ZONE = {
  id: 'crossing',
  version: 1,
  polygon: [
    [0.45, 0.28],
    [0.62, 0.28],
    [0.66, 0.62],
    [0.48, 0.62],
  ],
};

interface Health {
  readonly status: number;
  readonly checks: Record<string, string>;
  readonly atMs: number;
}

describe('edge health', () => {
  it('a dead RTSP camera turns /healthz red (stalled, with its last error) within health.cameraNoFrameMs, while a live one runs', async () => {
    await using work = await tempDir();
    await using nats = await startTestNats([testUser(DEVICE, devicePermissions(SITE, DEVICE))]);
    await setupTestHubDefaults(nats);
    // A port nobody listens on: ffmpeg's connection is refused at every attempt.
    const [closedPort] = await freePorts(1);
    const video = await vtestClip(join(work.path, 'live.avi'), 12);
    const schedule = join(work.path, 'schedule.yaml');
    await writeFile(schedule, 'id: s\nversion: 1\ncycle:\n  - aspect: walk\n    durationMs: 3600000\n');
    const config = parseEdgeConfig(
      {
        deviceId: DEVICE,
        siteId: SITE,
        stateDir: join(work.path, 'state'),
        nats: await writeTestNatsClient(nats, work.path, DEVICE),
        models: { allowDownload: false },
        http: { listen: '127.0.0.1:0', tls: await testServerTls() },
        health: { cameraNoFrameMs: NO_FRAME_MS },
        cameras: [
          {
            id: 'dead',
            source: {
              input: `rtsp://127.0.0.1:${closedPort}/stream`,
              fps: 5,
              reconnect: { baseDelayMs: 200, maxDelayMs: 400 },
            },
            zone: ZONE,
            signal: { schedule },
          },
          { id: 'live', source: { input: video, fps: 5, realtime: true }, zone: ZONE, signal: { schedule } },
        ],
      },
      work.path,
      {},
      'test',
    );
    const edge = await startEdge(config, createEdgeLogger('info', createLogSink().stream), {
      ZEBRA_MODELS_MIRROR: testMirrors().join(':'),
    });
    const startedAtMs = Date.now();
    try {
      const ask = async (): Promise<Health> => {
        const r = await testHttps(`https://${edge.httpAddress}/healthz`);
        return { status: r.status, checks: (r.json() as { checks: Record<string, string> }).checks, atMs: Date.now() };
      };
      const seen: Health[] = [];
      let red: Health | undefined;
      while (!red && Date.now() - startedAtMs < NO_FRAME_MS + 20_000) {
        const h = await ask();
        seen.push(h);
        if (h.checks['camera:dead']!.startsWith('stalled')) red = h;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(red, JSON.stringify(seen.at(-1))).toBeDefined();
      // Connecting (not "running") before the limit, with the refusal as its last error.
      const before = seen.filter((h) => h.atMs - startedAtMs < NO_FRAME_MS - 500);
      expect(before.length).toBeGreaterThan(0);
      for (const h of before) expect(h.checks['camera:dead']).toMatch(/^connecting: no frame yet/);
      // Red within the configured time (plus the board starting a little before startEdge returned).
      expect(red!.atMs - startedAtMs).toBeLessThan(NO_FRAME_MS + 2_000);
      expect(red!.status).toBe(503);
      expect(red!.checks['camera:dead']).toMatch(/^stalled: no frame yet \(\d+\.\d s\); last error: .+/);
      // The live camera runs meanwhile (its first frame waits for the models' first run: on a
      // loaded machine that may come after the dead one's limit).
      let live = red!;
      while (!live.checks['camera:live']!.startsWith('running') && Date.now() - startedAtMs < 30_000) {
        await new Promise((r) => setTimeout(r, 100));
        live = await ask();
      }
      expect(live.checks['camera:live']).toMatch(/^running: last frame \d+\.\d s ago$/);
      expect(live.checks['camera:dead']).toMatch(/^stalled: /);
      expect(live.status).toBe(503);
      const metrics = (await testHttps(`https://${edge.httpAddress}/metrics`)).text();
      expect(metrics).toMatch(/^zebra_edge_camera_up\{camera="dead"\} 0$/m);
      expect(metrics).toMatch(/^zebra_edge_camera_up\{camera="live"\} [01]$/m); // a series per camera
      expect(metrics).toMatch(/^zebra_edge_camera_state\{camera="dead",state="stalled"\} 1$/m);
      expect(metrics).toMatch(/^zebra_edge_healthy 0$/m);
      // The container healthcheck (deploy/healthcheck.js) says unhealthy.
      const check = await promisify(execFile)(process.execPath, [
        'deploy/healthcheck.js',
        `https://${edge.httpAddress}/healthz`,
        (await testPki()).caFile,
      ]).then(
        () => 0,
        (err: { code?: number }) => err.code,
      );
      expect(check).toBe(1);
      const age = /^zebra_edge_camera_last_frame_age_seconds\{camera="dead"\} ([\d.]+)$/m.exec(metrics);
      expect(Number(age?.[1])).toBeGreaterThanOrEqual(NO_FRAME_MS / 1000);
    } finally {
      await edge.stop();
      await edge.done;
    }
  });
});
