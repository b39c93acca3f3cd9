import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { readFile } from 'node:fs/promises';
import { createEdgeLogger, parseEdgeConfig, startEdge } from '../../edge/index.js';
import type { PipelineSummary } from '../../edge/index.js';
import type { EdgeTransport } from '../../edge/main.js';
import type { Schedule } from '../../edge/signal/schedule.js';
import type { CandidateTally, InfractionEvent } from '../../proto/index.js';
import type { SignalState } from '../../proto/index.js';
import { createLogSink } from '../harness/log-sink.js';
import { testMirrors, vtestClip } from '../harness/models.js';
import { CONTROLLER, PHASE, SITE, V2C, bridgeWorld, spawnSimulator } from '../harness/signal-bridge.js';
import { stopProcess } from '../../cli/nats-server.js';

/** Every phase a multiple of the 200 ms between frames at 5 fps; 12 s in all, so 30 s see each 2-3 times. */
const CYCLE: Schedule = {
  id: 'bridge-vs-file',
  version: 1,
  offsetMs: 0,
  cycle: [
    { aspect: 'walk', durationMs: 4000 },
    { aspect: 'flashing_dont_walk', durationMs: 2000 },
    { aspect: 'steady_dont_walk', durationMs: 6000 },
  ],
};
const CYCLE_MS = 12_000;
const CLIP_S = 30;
const FRAME_MS = 200;

/** Keeps what the edge would send, in memory; `connection` carries the controller feed. */
class MemoryTransport implements EdgeTransport {
  readonly events: InfractionEvent[] = [];
  readonly connection?: NatsConnection;
  constructor(connection?: NatsConnection) {
    this.connection = connection;
  }
  get isConnected(): boolean {
    return true;
  }
  putEvidence(): Promise<void> {
    return Promise.resolve();
  }
  publishEvent(event: InfractionEvent): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }
  publishTally(_tally: CandidateTally): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Run {
  readonly startAtMs: number;
  readonly summary: PipelineSummary;
  readonly events: { atFrame: number; trackId: number; state: SignalState; suspended: boolean }[];
  /** Published in another order than entered. */
  readonly isReordered: boolean;
}

async function runEdge(
  dir: string,
  clip: string,
  signal: object,
  realtime: boolean,
  transport: MemoryTransport,
  startAtMs?: () => number,
): Promise<Run> {
  const demo = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as { cameras: { source: object }[] };
  const camera = demo.cameras[0]!;
  const config = parseEdgeConfig(
    {
      ...demo,
      siteId: SITE,
      outbox: undefined,
      nats: { servers: ['nats://127.0.0.1:1'] },
      stateDir: join(dir, 'state'),
      models: { allowDownload: false },
      // This compares the two ways of knowing the signal; whether the system clock is synchronised
      // (unknown on a test machine) is the clock tests' subject (test/integration/clock*.test.ts).
      clock: { source: 'ignore' },
      cameras: [{ ...camera, source: { ...camera.source, input: clip, realtime }, signal }],
    },
    dir,
    {},
    'test',
  );
  let firstAtMs: number | undefined;
  const edge = await startEdge(
    config,
    createEdgeLogger('warn', createLogSink().stream),
    { ZEBRA_MODELS_MIRROR: testMirrors().join(':') },
    {
      transport,
      startAtMs,
      onFrame: (frame) => (firstAtMs ??= frame.capturedAtMs),
    },
  );
  const [result] = await edge.done;
  await edge.stop();
  expect(result?.error).toBeUndefined();
  const startAt = firstAtMs!;
  const published = transport.events.map((e) => ({
    atFrame: Math.round((e.occurredAtMs - startAt) / FRAME_MS),
    trackId: e.track!.trackId,
    state: e.signal!.state,
    suspended: e.enforcement!.suspended,
  }));
  const byEntry = (a: { atFrame: number; trackId: number }, b: { atFrame: number; trackId: number }): number =>
    a.atFrame - b.atFrame || a.trackId - b.trackId;
  return {
    startAtMs: startAt,
    summary: result!.summary!,
    // In entry order: the publishing order may differ, but only for one reason (checked below).
    events: [...published].sort(byEntry),
    isReordered: published.some((e, i) => i > 0 && byEntry(published[i - 1]!, e) > 0),
  };
}

describe('the edge on the bridge decides as on the schedule file', { timeout: 600_000 }, () => {
  it('vtest.avi: same events and same rejected candidates from the NTCIP bridge as from the schedule file', async () => {
    await using world = await bridgeWorld();
    const clip = await vtestClip(join(world.work.path, 'clip.avi'), CLIP_S);
    const cycleStartMs = Date.now();
    // Controller and bridge each in a process of their own, as at a site: the edge's work in
    // this process never delays an answer.
    const sim = await spawnSimulator({ credentials: V2C, schedule: CYCLE, cycleStartMs, phase: PHASE });
    // The bridge as a site runs it: its own process, `zebra signal bridge --config FILE`.
    const configFile = await world.writeBridgeConfig(sim.port, V2C, {
      pollIntervalMs: 20,
      publishEveryMs: 50,
      logLevel: 'info',
    });
    const bridge = spawn(process.execPath, ['bin/zebra.js', 'signal', 'bridge', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bridgeLog = '';
    bridge.stdout.on('data', (chunk: Buffer) => (bridgeLog += chunk.toString('utf8')));
    bridge.stderr.on('data', (chunk: Buffer) => (bridgeLog += chunk.toString('utf8')));
    let live: Run;
    try {
      await vi.waitFor(
        () => {
          expect(bridge.exitCode, bridgeLog).toBeNull();
          expect(bridgeLog).toContain('signal bridge started');
        },
        { timeout: 30_000, interval: 100 },
      );
      // Frames 100 ms after each phase change (every change is on the 200 ms grid from the
      // cycle start), so a change the bridge sees up to a poll late reads the same for every frame.
      const alignedStart = (): number => {
        const now = Date.now();
        return now - ((((now - cycleStartMs - 100) % FRAME_MS) + FRAME_MS) % FRAME_MS);
      };
      live = await runEdge(
        join(world.work.path, 'live'),
        clip,
        { controller: { id: CONTROLLER, keyFile: join(world.work.path, 'bridge.pub.pem') } },
        true,
        new MemoryTransport(world.edgeNc),
        alignedStart,
      );
    } finally {
      await stopProcess(bridge);
      await stopProcess(sim.child);
    }
    // The same cycle from a file, shifted so each frame falls at the same point of it.
    const schedule = { ...CYCLE, offsetMs: (((live.startAtMs - cycleStartMs) % CYCLE_MS) + CYCLE_MS) % CYCLE_MS };
    await writeFile(join(world.work.path, 'schedule.yaml'), stringify(schedule));
    const file = await runEdge(
      join(world.work.path, 'file'),
      clip,
      { schedule: join(world.work.path, 'schedule.yaml') },
      false,
      new MemoryTransport(),
    );
    expect(live.summary.frames).toBe(file.summary.frames);
    expect(live.summary.candidates).toEqual(file.summary.candidates);
    expect(live.events).toEqual(file.events);
    // A live camera's frames cannot wait: on a loaded machine an event whose evidence the full
    // queue refused goes out at once, ahead of an earlier one still collecting its clip. That is
    // the only reordering allowed; the file run, whose frames wait for room, keeps entry order.
    expect(file.isReordered).toBe(false);
    if (live.isReordered) expect(live.summary.evidenceQueueFull).toBeGreaterThan(0);
    // Not a vacuous match: the clip has decisions, and the live run read the controller.
    expect(Object.values(file.summary.candidates).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Object.keys(live.summary.candidates).some((r) => r.startsWith('suspended_'))).toBe(false);
    // It stopped cleanly on SIGTERM.
    expect(bridge.exitCode, bridgeLog).toBe(0);
    expect(bridgeLog).toContain('"msg":"stopping"');
  });
});
