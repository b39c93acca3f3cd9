import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureIngestTopology } from '../../core/ingest/consumer.js';
import { createEdgeLogger, parseEdgeConfig, startEdge } from '../../edge/index.js';
import { createLogSink } from '../harness/log-sink.js';
import { testMirrors, vtestClip } from '../harness/models.js';
import { startTestNats, testUser } from '../harness/nats.js';
import { writeTestNatsClient } from '../harness/nats-setup.js';
import { devicePermissions } from '../../proto/index.js';
import { tempDir } from '../harness/temp.js';

const INGEST = {
  durableName: 'core-ingest',
  batchSize: 64,
  ackWaitMs: 30_000,
  retryDelayMs: 2_000,
  duplicateWindowMs: 120_000,
};

describe('edge with several cameras', () => {
  it('reports a corrupt video on its own camera and keeps the other camera running to the end', async () => {
    await using work = await tempDir();
    const demo = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as {
      siteId: string;
      deviceId: string;
      cameras: { source: object }[];
    };
    await using nats = await startTestNats([testUser(demo.deviceId, devicePermissions(demo.siteId, demo.deviceId))]);
    const nc = await nats.connect();
    await ensureIngestTopology(nc, INGEST);
    await nc.close();
    const good = join(work.path, 'short.avi');
    await vtestClip(good, 4);
    const corrupt = join(work.path, 'corrupt.avi');
    await writeFile(corrupt, Buffer.alloc(8192, 3));
    const camera = demo.cameras[0]!;
    const config = parseEdgeConfig(
      {
        ...demo,
        // Straight to the hub, as a device without a site leaf node.
        outbox: undefined,
        nats: await writeTestNatsClient(nats, work.path, demo.deviceId),
        stateDir: join(work.path, 'state'),
        models: { allowDownload: false },
        cameras: [
          { ...camera, id: 'good', source: { ...camera.source, input: good, realtime: false } },
          { ...camera, id: 'broken', source: { ...camera.source, input: corrupt, realtime: false } },
        ],
      },
      join(process.cwd(), 'edge/demo'),
      {},
      'test',
    );
    const logs = createLogSink();
    const edge = await startEdge(config, createEdgeLogger('info', logs.stream), {
      ZEBRA_MODELS_MIRROR: testMirrors().join(':'),
    });
    const results = await edge.done;
    const byCamera = Object.fromEntries(results.map((r) => [r.cameraId, r]));
    expect(byCamera.broken!.error).toMatch(/corrupt\.avi/);
    expect(byCamera.good!.error).toBeUndefined();
    expect(byCamera.good!.summary!.frames).toBeGreaterThanOrEqual(19);
    expect(logs.lines.find((l) => l.msg === 'camera stopped')).toMatchObject({ camera: 'broken' });
  });
});
