import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEdgeConfig, startEdge } from '../../edge/index.js';
import { createEdgeLogger } from '../../edge/logger.js';
import { SignalReportSigner } from '../../edge/signal/report-signer.js';
import { SignalState, devicePermissions, signalSubject } from '../../proto/index.js';
import { freeNtpPort, startChronyd } from '../harness/chrony.js';
import { createLogSink } from '../harness/log-sink.js';
import { testMirrors, vtestClip } from '../harness/models.js';
import { setupTestHubDefaults, writeTestNatsClient } from '../harness/nats-setup.js';
import { startTestNats, testUser } from '../harness/nats.js';
import { tempDir } from '../harness/temp.js';

describe('a running edge and the system clock', () => {
  it('suspends a controller-fed camera for an unsynchronised system clock, and says so in its log and metrics', async () => {
    await using work = await tempDir();
    // A real chronyd -x whose NTP server never answers: "Not synchronised".
    await using chronyd = await startChronyd({ followPort: await freeNtpPort() });
    const demo = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as {
      siteId: string;
      deviceId: string;
      cameras: { source: object }[];
    };
    await using nats = await startTestNats([testUser(demo.deviceId, devicePermissions(demo.siteId, demo.deviceId))]);
    await setupTestHubDefaults(nats);
    const clip = await vtestClip(join(work.path, 'clip.avi'), 4);
    const controller = SignalReportSigner.generate('ctl-1');
    await writeFile(join(work.path, 'ctl-1.pub.pem'), controller.publicKeyPem);
    const camera = demo.cameras[0]!;
    const config = parseEdgeConfig(
      {
        ...demo,
        outbox: undefined,
        nats: await writeTestNatsClient(nats, work.path, demo.deviceId),
        stateDir: join(work.path, 'state'),
        models: { allowDownload: false },
        clock: { source: 'chrony', chronySocket: chronyd.socket, pollIntervalMs: 500 },
        cameras: [
          {
            ...camera,
            source: { ...camera.source, input: clip, realtime: true },
            signal: { controller: { id: 'ctl-1', keyFile: 'ctl-1.pub.pem', staleAfterMs: 1500 } },
          },
        ],
      },
      work.path,
      {},
      'test',
    );
    // The genuine controller, in steady DON'T WALK, reporting every 200 ms: the feed is live,
    // so the clock is the only reason left to suspend.
    const controllerNc = await nats.connect();
    const began = Date.now() - 60_000;
    const report = () =>
      controllerNc.publish(
        signalSubject(demo.siteId, 'ctl-1'),
        controller.signer.sign({
          state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
          stateBeganAtMs: began,
          sentAtMs: Date.now(),
        }),
      );
    report();
    const timer = setInterval(report, 200);
    const logs = createLogSink();
    try {
      const edge = await startEdge(config, createEdgeLogger('info', logs.stream), {
        ZEBRA_MODELS_MIRROR: testMirrors().join(':'),
      });
      try {
        const [result] = await edge.done;
        expect(result!.error).toBeUndefined();
        const suspended = await edge.metrics.suspended.get();
        const gauge = (reason: string) => suspended.values.find((v) => v.labels.reason === reason)?.value;
        expect(gauge('clock_unsynced')).toBe(1);
        expect(gauge('signal_stale') ?? 0).toBe(0);
        const clock = await edge.metrics.systemClock.get();
        expect(clock.values.find((v) => v.value === 1)?.labels).toEqual({ source: 'chrony', state: 'unsynced' });
        expect(logs.find('system clock not synchronised: enforcement on controller feeds is suspended')).toMatchObject({
          component: 'clock',
          source: 'chrony',
          detail: 'chrony: Not synchronised',
        });
        expect(
          logs.lines.some(
            (l) =>
              l.msg === 'enforcement suspended: candidates are marked' &&
              JSON.stringify(l.reasons) === JSON.stringify(['clock_unsynced']),
          ),
        ).toBe(true);
      } finally {
        await edge.stop();
      }
    } finally {
      clearInterval(timer);
      await controllerNc.close();
    }
  });
});
