import { execFileSync } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openFrameSource } from '../../edge/frames/open-source.js';
import type { Frame } from '../../edge/frames/frame.js';
import { createEdgeLogger } from '../../edge/logger.js';
import { ControllerSignalSource } from '../../edge/signal/controller-source.js';
import { SignalReportSigner } from '../../edge/signal/report-signer.js';
import { SignalState, signalSubject } from '../../proto/index.js';
import { createLogSink } from '../harness/log-sink.js';
import { manifestFile } from '../harness/models.js';
import { startTestNats } from '../harness/nats.js';
import { tempDir } from '../harness/temp.js';

const RECONNECT = { baseDelayMs: 50, maxDelayMs: 400, healthyAfterFrames: 1000 };

describe('edge frame sources', () => {
  it('reopens a stream that drops, with backoff, and keeps counting frames', async () => {
    await using work = await tempDir();
    const ts = join(work.path, 'clip.ts');
    const video = (await manifestFile('vtest-video')).path;
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-t',
      '3',
      '-i',
      video,
      '-r',
      '25',
      '-c:v',
      'mpeg1video',
      '-q:v',
      '5',
      '-f',
      'mpegts',
      ts,
    ]);
    const bytes = await readFile(ts);
    let connections = 0;
    // Every connection gets the first 60 % of the stream, then the socket is cut.
    const server = createServer((_req, res) => {
      connections += 1;
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      res.write(bytes.subarray(0, Math.floor(bytes.length * 0.6)), () => setTimeout(() => res.socket?.destroy(), 50));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cam.ts`;
    const logs = createLogSink();
    let restarts = 0;
    const source = await openFrameSource(
      {
        cameraId: 'cam',
        input: url,
        fps: 5,
        realtime: false,
        startAtMs: 0,
        reconnect: RECONNECT,
        stallTimeoutMs: 2000,
      },
      createEdgeLogger('info', logs.stream),
      () => (restarts += 1),
    );
    const frames: Frame[] = [];
    try {
      for await (const frame of source) {
        frames.push(frame);
        if (restarts >= 2 && frames.length > 12) break;
      }
    } finally {
      await source.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(restarts).toBeGreaterThanOrEqual(2);
    expect(connections).toBeGreaterThanOrEqual(3);
    expect(frames.map((f) => f.index)).toEqual(frames.map((_, i) => i));
    // Live frames carry the device clock at arrival.
    expect(Math.abs(frames.at(-1)!.capturedAtMs - Date.now())).toBeLessThan(10_000);
    const dropped = logs.find('camera stream dropped; reconnecting')!;
    expect(dropped).toMatchObject({ attempt: 1, retryInMs: 50 });
    expect(logs.lines.filter((l) => l.msg === 'camera stream dropped; reconnecting').map((l) => l.retryInMs)).toEqual(
      expect.arrayContaining([50, 100]),
    );
  });

  it('reads an image folder in name order and reports a corrupt image instead of stopping', async () => {
    await using work = await tempDir();
    const city = (await manifestFile('city-image')).path;
    await copyFile(city, join(work.path, 'a.jpg'));
    await writeFile(join(work.path, 'b.jpg'), 'not an image');
    await copyFile(city, join(work.path, 'c.jpg'));
    const logs = createLogSink();
    const source = await openFrameSource(
      {
        cameraId: 'cam',
        input: work.path,
        fps: 2,
        realtime: false,
        startAtMs: 1000,
        reconnect: RECONNECT,
        stallTimeoutMs: 1000,
      },
      createEdgeLogger('info', logs.stream),
    );
    const frames: Frame[] = [];
    for await (const frame of source) frames.push(frame);
    expect(frames.map((f) => [f.index, f.capturedAtMs, f.widthPx, f.heightPx])).toEqual([
      [0, 1000, 800, 564],
      [1, 2000, 800, 564],
    ]);
    expect(logs.find('image skipped: cannot decode')).toMatchObject({ path: join(work.path, 'b.jpg') });
  });
});

describe('controller signal feed on a real nats-server', () => {
  it("follows the controller's phases, goes stale when it stops, and refuses malformed reports", async () => {
    await using nats = await startTestNats();
    const nc = await nats.connect();
    const logs = createLogSink();
    const controller = SignalReportSigner.generate('ctl-1');
    const key = { keyId: controller.signer.keyId, publicKey: controller.signer.publicKey };
    const options = { controllerId: 'ctl-1', key, staleAfterMs: 400, maxClockOffsetMs: 500, keepMs: 60_000 };
    const source = ControllerSignalSource.subscribe(nc, 'site-1', options, {
      cameraId: 'cam-1',
      logger: createEdgeLogger('info', logs.stream),
    });
    const subject = signalSubject('site-1', 'ctl-1');
    const began = Date.now() - 3000;
    const report = (state: SignalState): Uint8Array =>
      controller.signer.sign({ state, stateBeganAtMs: began, sentAtMs: Date.now() });
    try {
      nc.publish(subject, new Uint8Array([0xff, 0xff, 0xff]));
      nc.publish(subject, report(SignalState.SIGNAL_STATE_UNSPECIFIED));
      for (let i = 0; i < 3; i++) {
        nc.publish(subject, report(SignalState.SIGNAL_STATE_STEADY_DONT_WALK));
        await nc.flush();
        await new Promise((r) => setTimeout(r, 100));
      }
      await vi.waitFor(() => expect(source.acceptedReports).toBe(3));
      const live = source.readingAt(Date.now());
      expect(live).toMatchObject({
        aspect: 'steady_dont_walk',
        aspectBeganAtMs: began,
        source: 'controller_feed',
        isStale: false,
      });
      expect(live.msSinceSteadyDontWalk).toBeGreaterThanOrEqual(3000);
      expect(live.clock.state).toBe('synced');
      expect(Object.fromEntries(source.refusedReports)).toEqual({ undecodable: 1, bad_state: 1 });
      await new Promise((r) => setTimeout(r, 600));
      expect(source.readingAt(Date.now()).isStale).toBe(true);
      expect(logs.find('signal reports refused: the signal did not move')).toMatchObject({
        refused: { undecodable: 1 },
      });
    } finally {
      await source.close();
      await nc.close();
    }
  });
});
