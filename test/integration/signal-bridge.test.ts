import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { suspensionReasons } from '../../edge/rule/enforcement.js';
import type { SignalAspect } from '../../edge/signal/signal.js';
import { testHttps, testServerTls } from '../harness/pki.js';
import { SHORT_CYCLE, V2C, V3, bridgeWorld, edgeFeed, startBridge, startSimulator } from '../harness/signal-bridge.js';
import type { SignalControllerSimulator } from '../../cli/signal-simulator.js';
import type { ControllerSignalSource } from '../../edge/signal/controller-source.js';

const STALE_AFTER_MS = 800;
/** How late the bridge may see a change: one poll interval (50 ms), the answer, and a loaded machine. */
const LATE_MS = 250;

/** Samples the edge's reading for `durationMs` and compares it with the simulator's schedule. */
async function followCycle(
  sim: SignalControllerSimulator,
  source: ControllerSignalSource,
  durationMs: number,
): Promise<{ seen: Set<SignalAspect>; mismatches: string[]; samples: number }> {
  const seen = new Set<SignalAspect>();
  const mismatches: string[] = [];
  let samples = 0;
  const endAtMs = Date.now() + durationMs;
  while (Date.now() < endAtMs) {
    await new Promise((r) => setTimeout(r, 40));
    const atMs = Date.now();
    const reading = source.readingAt(atMs);
    const expected = sim.scheduled(atMs);
    samples += 1;
    seen.add(reading.aspect);
    expect(reading.isStale, `stale at ${atMs}`).toBe(false);
    const sinceChangeMs = atMs - expected.beganAtMs;
    if (sinceChangeMs < LATE_MS) continue;
    if (reading.aspect !== expected.aspect) mismatches.push(`${atMs}: ${reading.aspect}, scheduled ${expected.aspect}`);
    // The aspect began when the bridge saw it: never before the controller changed, at most a poll late.
    const lateMs = reading.aspectBeganAtMs - expected.beganAtMs;
    if (lateMs < 0 || lateMs > LATE_MS) mismatches.push(`${atMs}: began ${lateMs} ms after the change`);
  }
  return { seen, mismatches, samples };
}

describe('NTCIP 1202 signal bridge against a simulated controller', { timeout: 60_000 }, () => {
  it('v2c: the edge follows the controller through full cycles, from signed reports on the controller user', async () => {
    await using world = await bridgeWorld();
    const sim = await startSimulator(V2C);
    const { bridge } = await startBridge(await world.bridgeConfig(sim.port, V2C));
    const source = await edgeFeed(world, STALE_AFTER_MS);
    try {
      await vi.waitFor(() => expect(source.readingAt(Date.now()).isStale).toBe(false), { timeout: 5000 });
      const cycleMs = SHORT_CYCLE.cycle.reduce((a, p) => a + p.durationMs, 0);
      const { seen, mismatches, samples } = await followCycle(sim, source, 2 * cycleMs);
      expect(mismatches).toEqual([]);
      expect(samples).toBeGreaterThan(50);
      expect([...seen].sort()).toEqual(['flashing_dont_walk', 'steady_dont_walk', 'walk']);
      expect(Object.fromEntries(source.refusedReports)).toEqual({});
      expect(source.acceptedReports).toBeGreaterThan(10);
      expect(bridge.health()).toMatchObject({ ok: true });
    } finally {
      await source.close();
      await bridge.close();
      await sim.close();
    }
  });

  it('v3 authPriv (SHA + AES) works; a wrong auth passphrase is refused with a clear error and nothing is published', async () => {
    await using world = await bridgeWorld();
    const sim = await startSimulator(V3);
    const good = await startBridge(await world.bridgeConfig(sim.port, V3));
    const source = await edgeFeed(world, STALE_AFTER_MS);
    try {
      await vi.waitFor(() => expect(source.readingAt(Date.now()).isStale).toBe(false), { timeout: 5000 });
      const { mismatches, seen } = await followCycle(sim, source, 1800);
      expect(mismatches).toEqual([]);
      expect(seen.size).toBeGreaterThanOrEqual(2);
    } finally {
      await good.bridge.close();
      await source.close();
    }
    const wrong = await startBridge(await world.bridgeConfig(sim.port, { ...V3, authKey: 'not-the-passphrase' }));
    try {
      await vi.waitFor(() => expect(wrong.bridge.state.fault?.reason).toBe('snmp_error'), { timeout: 5000 });
      expect(wrong.bridge.state.fault?.detail).toMatch(/^SNMPv3 authentication refused: .*authKeyFile/);
      expect(
        wrong.logs.find('signal bridge: controller fault; one DARK report, then nothing, so the edge stops enforcing'),
      ).toMatchObject({ reason: 'snmp_error', detail: expect.stringContaining('SNMPv3 authentication refused') });
      expect(wrong.bridge.health()).toMatchObject({
        ok: false,
        checks: { controller: expect.stringMatching(/^fault snmp_error: SNMPv3 authentication refused/) },
      });
      expect(wrong.bridge.reportsPublished).toBe(0);
    } finally {
      await wrong.bridge.close();
      await sim.close();
    }
  });

  it('a controller that freezes, drops, conflicts or answers garbage suspends enforcement within the staleness window, with the reason', async () => {
    await using world = await bridgeWorld();
    const sim = await startSimulator(V2C);
    const config = await world.bridgeConfig(sim.port, V2C, {
      http: { listen: '127.0.0.1:0', tls: await testServerTls() },
    });
    const { bridge, logs } = await startBridge(config);
    const healthz = async (): Promise<{ status: number; body: string }> => {
      const res = await testHttps(`https://${bridge.httpAddress!}/healthz`);
      return { status: res.status, body: res.text() };
    };
    const source = await edgeFeed(world, STALE_AFTER_MS);
    const cases = [
      { mode: 'conflict', reason: 'conflict', detailHas: 'walk 1' },
      { mode: 'lie-type', reason: 'garbage', detailHas: 'not INTEGER' },
      { mode: 'lie-range', reason: 'garbage', detailHas: 'not a bitmask' },
      { mode: 'drop', reason: 'no_answer', detailHas: 'timed out' },
      { mode: 'freeze', reason: 'frozen', detailHas: 'sysUpTime stuck' },
    ] as const;
    try {
      for (const c of cases) {
        await vi.waitFor(() => expect(source.readingAt(Date.now()).isStale).toBe(false), { timeout: 5000 });
        const faultAtMs = Date.now();
        await sim.setMode(c.mode);
        // No entry can be an infraction from the moment the edge reads DARK (the bridge's
        // last report) or a stale feed; enforcement is suspended once the feed is stale.
        await vi.waitFor(
          () => {
            const reading = source.readingAt(Date.now());
            expect(reading.aspect === 'dark' || reading.isStale).toBe(true);
          },
          { timeout: 5000, interval: 20 },
        );
        const stoppedAfterMs = Date.now() - faultAtMs;
        await vi.waitFor(() => expect(source.readingAt(Date.now()).isStale).toBe(true), {
          timeout: 5000,
          interval: 20,
        });
        const staleAfterMs = Date.now() - faultAtMs;
        expect(stoppedAfterMs, c.mode).toBeLessThan(STALE_AFTER_MS + LATE_MS);
        // Stale once the bridge's last report is older than the window: at most a detection
        // (a timeout, or frozenAfterMs for a still clock) plus the window.
        expect(staleAfterMs, c.mode).toBeLessThan(
          STALE_AFTER_MS + config.frozenAfterMs + config.publishEveryMs + LATE_MS,
        );
        // The last report was the bridge's DARK: from the fault on, no entry was an infraction.
        expect(source.readingAt(Date.now())).toMatchObject({ aspect: 'dark', isStale: true });
        expect(suspensionReasons(source.readingAt(Date.now()), false)).toEqual(['signal_stale']);
        await vi.waitFor(() => expect(bridge.state.fault?.reason).toBe(c.reason), { timeout: 3000 });
        expect(bridge.state.fault?.detail, c.mode).toContain(c.detailHas);
        expect(bridge.health().ok).toBe(false);
        expect(bridge.health().checks.controller).toMatch(new RegExp(`^fault ${c.reason}: `));
        const unhealthy = await healthz();
        expect(unhealthy.status).toBe(503);
        expect(unhealthy.body).toContain(`fault ${c.reason}: `);
        const metricsText = (await testHttps(`https://${bridge.httpAddress!}/metrics`)).text();
        expect(metricsText).toContain(`zebra_signal_bridge_fault{reason="${c.reason}"} 1`);
        const gauge = (await bridge.metrics.fault.get()).values.find((v) => v.labels.reason === c.reason);
        expect(gauge?.value, c.mode).toBe(1);
        expect(logs.lines.some((l) => l.reason === c.reason && l.level === 40)).toBe(true);
        // While the fault lasts the bridge publishes nothing more.
        const published = bridge.reportsPublished;
        await new Promise((r) => setTimeout(r, 3 * config.pollIntervalMs));
        expect(bridge.reportsPublished, c.mode).toBe(published);
        await sim.setMode('run');
        await vi.waitFor(() => expect(bridge.health().ok).toBe(true), { timeout: 5000 });
        expect((await healthz()).status).toBe(200);
      }
      const faults = (await bridge.metrics.faults.get()).values;
      expect(Object.fromEntries(faults.map((v) => [v.labels.reason, v.value]))).toMatchObject({
        conflict: 1,
        garbage: 2,
        no_answer: 1,
        frozen: 1,
      });
      expect(logs.lines.filter((l) => l.msg === 'signal bridge: controller healthy again; publishing')).toHaveLength(5);
    } finally {
      await source.close();
      await bridge.close();
      await sim.close();
    }
  });

  it('an edge that pins another key refuses every report of the bridge and stays suspended', async () => {
    await using world = await bridgeWorld();
    const sim = await startSimulator(V2C);
    const { bridge } = await startBridge(await world.bridgeConfig(sim.port, V2C));
    const source = await edgeFeed(world, STALE_AFTER_MS, join(world.work.path, 'other.pub.pem'));
    try {
      await vi.waitFor(() => expect(source.refusedReports.get('unknown_key') ?? 0).toBeGreaterThan(5), {
        timeout: 5000,
      });
      expect(bridge.reportsPublished).toBeGreaterThan(5);
      expect(source.acceptedReports).toBe(0);
      const reading = source.readingAt(Date.now());
      expect(reading).toMatchObject({ aspect: 'dark', isStale: true });
      expect(suspensionReasons(reading, false)).toEqual(['signal_stale', 'signal_unauthenticated']);
    } finally {
      await source.close();
      await bridge.close();
      await sim.close();
    }
  });

  it('a trap from the controller makes the bridge poll at once', async () => {
    await using world = await bridgeWorld();
    const { freeUdpPort } = await import('../../cli/signal-simulator.js');
    const trapPort = await freeUdpPort('127.0.0.1');
    const sim = await startSimulator(V2C, { trapTo: { host: '127.0.0.1', port: trapPort } });
    // Polls only every second: without traps a change would be seen up to a second late.
    const config = await world.bridgeConfig(sim.port, V2C, {
      pollIntervalMs: 1000,
      publishEveryMs: 1000,
      traps: { listen: `127.0.0.1:${trapPort}` },
    });
    const { bridge } = await startBridge(config);
    const source = await edgeFeed(world, 3000);
    try {
      await vi.waitFor(() => expect(source.readingAt(Date.now()).isStale).toBe(false), { timeout: 5000 });
      const { mismatches, seen } = await followCycle(sim, source, 2400);
      expect(mismatches).toEqual([]);
      expect(seen.size).toBe(3);
      const traps = (await bridge.metrics.traps.get()).values.find((v) => v.labels.outcome === 'accepted');
      expect(traps?.value).toBeGreaterThanOrEqual(2);
    } finally {
      await source.close();
      await bridge.close();
      await sim.close();
    }
  });
});
