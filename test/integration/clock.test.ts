import { describe, expect, it } from 'vitest';
import { ClockedSignalSource } from '../../edge/clock/clocked-signal.js';
import { SystemClockMonitor, readSystemClock } from '../../edge/clock/system-clock.js';
import { createEdgeLogger } from '../../edge/logger.js';
import { createEdgeMetrics } from '../../edge/metrics.js';
import { suspensionReasons } from '../../edge/rule/enforcement.js';
import { ControllerSignalSource } from '../../edge/signal/controller-source.js';
import { SignalReportSigner } from '../../edge/signal/report-signer.js';
import { SignalState, signalSubject } from '../../proto/index.js';
import { freeNtpPort, startChronyd } from '../harness/chrony.js';
import { createLogSink } from '../harness/log-sink.js';
import { startTestNats } from '../harness/nats.js';
import { waitFor } from '../harness/temp.js';

// Real daemons: chronyd -x (never sets the clock) as a `local stratum 8` NTP server on
// loopback, and chronyd -x clients following it; the edge reads them with chronyc. Nothing is
// stubbed. Only "no time daemon found" points the reader at tools that are not installed.
const MISSING = {
  chronyc: '/nonexistent/chronyc',
  timedatectl: '/nonexistent/timedatectl',
  adjtimex: '/nonexistent/adjtimex',
};

describe('the system clock, read from real time daemons', () => {
  it('is synchronised from a chronyd that follows a local NTP server, not from one whose server is silent', async () => {
    const port = await freeNtpPort();
    await using server = await startChronyd({ servePort: port });
    await using client = await startChronyd({ followPort: port });
    await using lonely = await startChronyd({ followPort: await freeNtpPort() });
    const options = { source: 'auto' as const, maxOffsetMs: 100 };
    const synced = await waitFor(
      'chrony to synchronise',
      async () => {
        const status = await readSystemClock({ ...options, chronySocket: client.socket });
        return status.state === 'synced' ? status : undefined;
      },
      30_000,
    );
    expect(synced).toMatchObject({ source: 'chrony', reference: '127.0.0.1' });
    expect(synced.detail).toBe('chrony: synchronised to 127.0.0.1 (stratum 9)');
    expect(Math.abs(synced.offsetMs!)).toBeLessThan(100);
    expect(await readSystemClock({ ...options, chronySocket: lonely.socket })).toMatchObject({
      state: 'unsynced',
      source: 'chrony',
      detail: 'chrony: Not synchronised',
    });
    // The server itself answers from its own clock (local stratum 8): synchronised, to itself.
    expect((await readSystemClock({ ...options, chronySocket: server.socket })).state).toBe('synced');
  });

  it('falls through chrony without a daemon and timedatectl without systemd to the kernel, and says when nothing is there', async () => {
    const kernel = await readSystemClock({
      source: 'auto',
      maxOffsetMs: 100,
      chronySocket: '/nonexistent/chronyd.sock',
      tools: { timedatectl: MISSING.timedatectl },
    });
    expect(kernel.source).toBe('adjtimex');
    expect(['synced', 'unsynced']).toContain(kernel.state);
    const none = await readSystemClock({ source: 'auto', maxOffsetMs: 100, tools: MISSING });
    expect(none).toEqual({
      state: 'unknown',
      source: 'none',
      detail:
        'unknown: no time daemon found (chrony: not installed; timedatectl: not installed; adjtimex: not installed)',
    });
    const forced = await readSystemClock({ source: 'chrony', maxOffsetMs: 100, chronySocket: '/nonexistent/c.sock' });
    expect(forced).toMatchObject({ state: 'unknown', source: 'chrony' });
    expect(forced.detail).toMatch(/^chrony: .*daemon/);
  });

  it('suspends a controller-fed camera while the system clock is not synchronised, and enforces once chrony syncs', async () => {
    const port = await freeNtpPort();
    // The client first: its server is not up yet, so it cannot synchronise.
    await using client = await startChronyd({ followPort: port });
    const logs = createLogSink();
    const logger = createEdgeLogger('info', logs.stream);
    const metrics = createEdgeMetrics();
    const monitor = await SystemClockMonitor.start(
      { source: 'auto', maxOffsetMs: 100, chronySocket: client.socket, pollIntervalMs: 200 },
      logger,
      metrics,
    );
    await using nats = await startTestNats();
    const nc = await nats.connect();
    const controller = SignalReportSigner.generate('ctl-1');
    const key = { keyId: controller.signer.keyId, publicKey: controller.signer.publicKey };
    const options = { controllerId: 'ctl-1', key, staleAfterMs: 3000, maxClockOffsetMs: 500, keepMs: 60_000 };
    const feed = ControllerSignalSource.subscribe(nc, 'site-1', options, { cameraId: 'cam-1', logger });
    const source = new ClockedSignalSource(feed, () => monitor.status);
    const began = Date.now() - 10_000;
    const publish = async (): Promise<void> => {
      const state = SignalState.SIGNAL_STATE_STEADY_DONT_WALK;
      nc.publish(
        signalSubject('site-1', 'ctl-1'),
        controller.signer.sign({ state, stateBeganAtMs: began, sentAtMs: Date.now() }),
      );
      await nc.flush();
    };
    const gauge = async (state: string): Promise<number | undefined> =>
      (await metrics.systemClock.get()).values.find((v) => v.labels.source === 'chrony' && v.labels.state === state)
        ?.value;
    await using chrony = {
      server: undefined as Awaited<ReturnType<typeof startChronyd>> | undefined,
      [Symbol.asyncDispose]: async () => chrony.server?.stop(),
    };
    try {
      await publish();
      await waitFor('the report', () => Promise.resolve(feed.acceptedReports === 1 || undefined), 10_000);
      const before = source.readingAt(Date.now());
      expect(before.isStale).toBe(false);
      expect(before.clock).toMatchObject({
        state: 'unsynced',
        reference: 'controller:ctl-1; system chrony: Not synchronised',
      });
      expect(suspensionReasons(before, false)).toEqual(['clock_unsynced']);
      expect(await gauge('unsynced')).toBe(1);
      expect(logs.find('system clock not synchronised: enforcement on controller feeds is suspended')).toMatchObject({
        source: 'chrony',
        detail: 'chrony: Not synchronised',
      });

      chrony.server = await startChronyd({ servePort: port });
      await waitFor(
        'the monitor to see chrony synchronised',
        () => Promise.resolve(monitor.status.state === 'synced' || undefined),
        30_000,
      );
      await publish();
      await waitFor('the second report', () => Promise.resolve(feed.acceptedReports === 2 || undefined), 10_000);
      const after = source.readingAt(Date.now());
      expect(after.clock.state).toBe('synced');
      expect(after.clock.reference).toBe('controller:ctl-1; system chrony: synchronised to 127.0.0.1 (stratum 9)');
      expect(suspensionReasons(after, false)).toEqual([]);
      expect(await gauge('synced')).toBe(1);
      expect(await gauge('unsynced')).toBe(0);
      expect(logs.find('system clock synchronised')).toMatchObject({ source: 'chrony' });

      // Another controller whose clock is 1.5 s behind (a report going back in time is refused
      // as out of order, so a second feed): over maxClockOffsetMs, suspended with the system synced.
      const skewedCtl = SignalReportSigner.generate('ctl-2');
      const skewedKey = { keyId: skewedCtl.signer.keyId, publicKey: skewedCtl.signer.publicKey };
      const feed2 = ControllerSignalSource.subscribe(
        nc,
        'site-1',
        { ...options, controllerId: 'ctl-2', key: skewedKey },
        { cameraId: 'cam-2', logger },
      );
      try {
        const state = SignalState.SIGNAL_STATE_STEADY_DONT_WALK;
        nc.publish(
          signalSubject('site-1', 'ctl-2'),
          skewedCtl.signer.sign({ state, stateBeganAtMs: began, sentAtMs: Date.now() - 1500 }),
        );
        await nc.flush();
        await waitFor('the skewed report', () => Promise.resolve(feed2.acceptedReports === 1 || undefined), 10_000);
        const skewed = new ClockedSignalSource(feed2, () => monitor.status).readingAt(Date.now());
        expect(skewed.clock.state).toBe('unsynced');
        expect(skewed.clock.offsetMs).toBeGreaterThanOrEqual(1500);
        expect(suspensionReasons(skewed, false)).toEqual(['clock_unsynced']);
      } finally {
        await feed2.close();
      }
    } finally {
      monitor.close();
      await feed.close();
      await nc.close();
    }
  });
});
