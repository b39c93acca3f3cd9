import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { parseEdgeConfig, startEdge } from '../../edge/index.js';
import { createEdgeLogger } from '../../edge/logger.js';
import { createEdgeMetrics } from '../../edge/metrics.js';
import type { EdgeMetrics } from '../../edge/metrics.js';
import { suspensionReasons } from '../../edge/rule/enforcement.js';
import { classifyEntry } from '../../edge/rule/entry-rule.js';
import { ControllerSignalSource } from '../../edge/signal/controller-source.js';
import { SignalReportSigner } from '../../edge/signal/report-signer.js';
import {
  SignalPhaseReport,
  SignalState,
  SignedSignalReport,
  devicePermissions,
  keyIdOf,
  signSignalReport,
  signalSubject,
} from '../../proto/index.js';
import { createLogSink } from '../harness/log-sink.js';
import { testMirrors, vtestClip } from '../harness/models.js';
import { startTestNats, testUser } from '../harness/nats.js';
import { writeTestNatsClient } from '../harness/nats-setup.js';
import { tempDir } from '../harness/temp.js';
import { setupTestHubDefaults } from '../harness/nats-setup.js';

const STALE_AFTER_MS = 1500;

async function refusedByReason(metrics: EdgeMetrics): Promise<Record<string, number>> {
  const { values } = await metrics.signalReportsRefused.get();
  const out: Record<string, number> = {};
  for (const v of values) if (v.labels.camera === 'cam-1') out[String(v.labels.reason)] = v.value;
  return out;
}

async function accepted(metrics: EdgeMetrics): Promise<number> {
  const { values } = await metrics.signalReportsAccepted.get();
  return values.find((v) => v.labels.camera === 'cam-1')?.value ?? 0;
}

describe('forged signal reports on a real nats-server', () => {
  it('a forged, unsigned or replayed report does not move the signal and is counted; a genuine one does; forgeries alone suspend enforcement', async () => {
    await using nats = await startTestNats();
    const edgeNc = await nats.connect();
    // The attacker: someone who can publish on the site's NATS (here even the setup identity).
    const attackerNc = await nats.connect();
    const logs = createLogSink();
    const metrics = createEdgeMetrics();
    const controller = SignalReportSigner.generate('ctl-1').signer;
    const pinned = { keyId: controller.keyId, publicKey: controller.publicKey };
    const source = ControllerSignalSource.subscribe(
      edgeNc,
      'site-1',
      { controllerId: 'ctl-1', key: pinned, staleAfterMs: STALE_AFTER_MS, maxClockOffsetMs: 500, keepMs: 60_000 },
      { cameraId: 'cam-1', logger: createEdgeLogger('info', logs.stream), metrics, refusalLogEveryMs: 60_000 },
    );
    // The subscription is on the server before anyone publishes.
    await edgeNc.flush();
    const subject = signalSubject('site-1', 'ctl-1');
    const attacker = generateKeyPairSync('ed25519');
    const longAgo = Date.now() - 60_000;
    const dontWalk = (sequence: number): SignalPhaseReport => ({
      controllerId: 'ctl-1',
      state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
      stateBeganAtMs: longAgo,
      sentAtMs: Date.now(),
      sequence,
    });
    const forgeries = (): Uint8Array[] => {
      const bare = SignalPhaseReport.encode(dontWalk(Number.MAX_SAFE_INTEGER)).finish();
      return [
        // Unsigned: the old wire format.
        bare,
        // Signed by the attacker's own key.
        signSignalReport(dontWalk(Number.MAX_SAFE_INTEGER), {
          keyId: keyIdOf(attacker.publicKey),
          privateKey: attacker.privateKey,
        }),
        // Signed by the attacker, claiming the controller's key id.
        signSignalReport(dontWalk(Number.MAX_SAFE_INTEGER), { keyId: pinned.keyId, privateKey: attacker.privateKey }),
        // The controller's key id and a signature over other bytes.
        SignedSignalReport.encode({
          report: Buffer.from(bare),
          keyId: pinned.keyId,
          signature: sign(
            null,
            Buffer.concat([Buffer.from('zebra.v1.signal\n'), Buffer.from('x')]),
            attacker.privateKey,
          ),
        }).finish(),
      ];
    };
    try {
      // Before any genuine report: forgeries do not make the signal readable.
      for (const forged of forgeries()) attackerNc.publish(subject, forged);
      await attackerNc.flush();
      await vi.waitFor(async () => {
        const refused = await refusedByReason(metrics);
        expect(refused).toEqual({ unknown_key: 2, bad_signature: 2 });
      });
      expect(source.readingAt(Date.now())).toMatchObject({ aspect: 'dark', isStale: true });
      expect(source.acceptedReports).toBe(0);

      // The genuine controller says WALK; that moves the signal.
      const walkBegan = Date.now() - 1000;
      const genuine = controller.sign({
        state: SignalState.SIGNAL_STATE_WALK,
        stateBeganAtMs: walkBegan,
        sentAtMs: Date.now(),
      });
      edgeNc.publish(subject, genuine);
      await edgeNc.flush();
      await vi.waitFor(async () => expect(await accepted(metrics)).toBe(1));
      expect(source.readingAt(Date.now())).toMatchObject({
        aspect: 'walk',
        aspectBeganAtMs: walkBegan,
        isStale: false,
      });
      expect(suspensionReasons(source.readingAt(Date.now()), false)).toEqual([]);

      // Replaying the genuine report, tampering with it, and forging DON'T WALK move nothing.
      const tampered = SignedSignalReport.decode(genuine);
      const flipped = SignalPhaseReport.decode(tampered.report);
      tampered.report = Buffer.from(
        SignalPhaseReport.encode({ ...flipped, state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK }).finish(),
      );
      attackerNc.publish(subject, genuine);
      attackerNc.publish(subject, SignedSignalReport.encode(tampered).finish());
      for (const forged of forgeries()) attackerNc.publish(subject, forged);
      await attackerNc.flush();
      await vi.waitFor(async () =>
        expect(await refusedByReason(metrics)).toEqual({ unknown_key: 4, bad_signature: 5, replayed: 1 }),
      );
      const afterForgeries = source.readingAt(Date.now());
      expect(afterForgeries).toMatchObject({ aspect: 'walk', aspectBeganAtMs: walkBegan, isStale: false });
      expect(classifyEntry(afterForgeries, 1000)).toBe('lawful_walk');
      expect(await accepted(metrics)).toBe(1);

      // Only forgeries from now on: the feed goes stale and enforcement is suspended, saying why.
      const flood = setInterval(() => {
        for (const forged of forgeries()) attackerNc.publish(subject, forged);
      }, 50);
      try {
        await vi.waitFor(
          () => {
            const reading = source.readingAt(Date.now());
            expect(reading.isStale).toBe(true);
            expect(suspensionReasons(reading, false)).toEqual(['signal_stale', 'signal_unauthenticated']);
          },
          { timeout: 10_000, interval: 50 },
        );
      } finally {
        clearInterval(flood);
      }
      // Still the controller's WALK, never the forged DON'T WALK.
      expect(source.readingAt(Date.now()).aspect).toBe('walk');
      expect(await accepted(metrics)).toBe(1);
      const refused = await refusedByReason(metrics);
      expect(refused.unknown_key! + refused.bad_signature!).toBeGreaterThan(9);
      // Logged in aggregate: one line for the whole flood (the next waits for the interval).
      await source.close();
      const lines = logs.lines.filter((l) => l.msg === 'signal reports refused: the signal did not move');
      expect(lines.length).toBe(2);
      const loggedCount = lines.reduce(
        (sum, l) => sum + Object.values(l.refused as Record<string, number>).reduce((a, b) => a + b, 0),
        0,
      );
      expect(loggedCount).toBe(Object.values(refused).reduce((a, b) => a + b, 0));
    } finally {
      await source.close();
      await attackerNc.close();
      await edgeNc.close();
    }
  });

  it('a running edge pins the configured controller key: forgeries are counted and suspend the camera, a bad key stops the start', async () => {
    await using work = await tempDir();
    const demo = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as {
      siteId: string;
      deviceId: string;
      cameras: { source: object }[];
    };
    await using nats = await startTestNats([testUser(demo.deviceId, devicePermissions(demo.siteId, demo.deviceId))]);
    const natsClient = await writeTestNatsClient(nats, work.path, demo.deviceId);
    await setupTestHubDefaults(nats);
    const clip = join(work.path, 'clip.avi');
    await vtestClip(clip, 4);
    const controller = SignalReportSigner.generate('ctl-1');
    await writeFile(join(work.path, 'ctl-1.pub.pem'), controller.publicKeyPem);
    await writeFile(
      join(work.path, 'rsa.pem'),
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const camera = demo.cameras[0]!;
    const configWith = (keyFile: string) =>
      parseEdgeConfig(
        {
          ...demo,
          outbox: undefined,
          nats: natsClient,
          stateDir: join(work.path, 'state'),
          models: { allowDownload: false },
          // The reasons asserted are the feed's; this machine's clock state is not (see clock.test.ts).
          clock: { source: 'ignore' },
          cameras: [
            {
              ...camera,
              source: { ...camera.source, input: clip, realtime: true },
              signal: { controller: { id: 'ctl-1', keyFile, staleAfterMs: 500 } },
            },
          ],
        },
        work.path,
        {},
        'test',
      );
    const env = { ZEBRA_MODELS_MIRROR: testMirrors().join(':') };

    await expect(
      startEdge(configWith('rsa.pem'), createEdgeLogger('info', createLogSink().stream), env),
    ).rejects.toMatchObject({
      code: 'EDGE_CONFIG_INVALID',
      message: expect.stringMatching(
        /^cameras\.cam-1\.signal\.controller\.keyFile: .*rsa\.pem: key type is rsa, not ed25519/,
      ),
    });

    const attacker = generateKeyPairSync('ed25519');
    const attackerNc = await nats.connect();
    const subject = signalSubject(demo.siteId, 'ctl-1');
    const forged = (): Uint8Array =>
      signSignalReport(
        {
          controllerId: 'ctl-1',
          state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
          stateBeganAtMs: Date.now() - 60_000,
          sentAtMs: Date.now(),
          sequence: Number.MAX_SAFE_INTEGER,
        },
        { keyId: controller.signer.keyId, privateKey: attacker.privateKey },
      );
    const flood = setInterval(() => attackerNc.publish(subject, forged()), 50);
    const logs = createLogSink();
    try {
      const edge = await startEdge(configWith('ctl-1.pub.pem'), createEdgeLogger('info', logs.stream), env);
      try {
        await edge.done;
        const { values } = await edge.metrics.signalReportsRefused.get();
        expect(
          values.find((v) => v.labels.camera === 'cam-1' && v.labels.reason === 'bad_signature')?.value,
        ).toBeGreaterThan(0);
        const suspended = await edge.metrics.suspended.get();
        const gauge = (reason: string) => suspended.values.find((v) => v.labels.reason === reason)?.value;
        expect(gauge('signal_stale')).toBe(1);
        expect(gauge('signal_unauthenticated')).toBe(1);
        expect(
          logs.lines.some(
            (l) =>
              l.msg === 'enforcement suspended: candidates are marked' &&
              JSON.stringify(l.reasons) === JSON.stringify(['signal_stale', 'signal_unauthenticated']),
          ),
        ).toBe(true);
        expect(logs.find('signal feed: reports must be signed by the pinned controller key')).toMatchObject({
          keyId: controller.signer.keyId,
        });
      } finally {
        await edge.stop();
      }
    } finally {
      clearInterval(flood);
      await attackerNc.close();
    }
  });
});
