import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { describe, expect, it } from 'vitest';
import { createEdgeLogger, parseEdgeConfig, startEdge } from '../../edge/index.js';
import type { PipelineSummary } from '../../edge/index.js';
import {
  EVIDENCE_BUCKET,
  EvidenceStatus,
  INFRACTIONS_STREAM,
  InfractionEvent,
  devicePermissions,
} from '../../proto/index.js';
import { createLogSink } from '../harness/log-sink.js';
import { testMirrors, vtestClip } from '../harness/models.js';
import { startTestNats, testUser } from '../harness/nats.js';
import { setupTestHubDefaults, writeTestNatsClient } from '../harness/nats-setup.js';
import { testHttps, testServerTls } from '../harness/pki.js';
import { tempDir } from '../harness/temp.js';

const SITE = 'site-q';
const DEVICE = 'dev-q';
const CLIP_AFTER_MS = 10_000;

/** What one burst run left behind. */
interface BurstRun {
  readonly summary: PipelineSummary;
  /** Every event in the hub's stream, by camera sequence (publish order). */
  readonly events: InfractionEvent[];
  readonly withheldCounter: number;
  readonly alerts: Record<string, unknown>[];
  readonly health: { status: number; body: unknown } | undefined;
  readonly maxHeldBytes: number;
  /** Evidence objects named by events with evidence, found in the store. */
  readonly storedObjects: number;
}

const MAX_QUEUED_FRAME_BYTES = 256 * 1024 * 1024;

/**
 * A burst of infractions on one camera against an evidence queue of one: the signal shows
 * steady DON'T WALK the whole time, so every entry into a crosswalk drawn across vtest's main
 * path is an infraction, and each keeps its evidence open for 10 s of video.
 */
async function runBurst(seconds: number, realtime: boolean): Promise<BurstRun> {
  await using work = await tempDir();
  await using nats = await startTestNats([testUser(DEVICE, devicePermissions(SITE, DEVICE))]);
  await setupTestHubDefaults(nats);
  const video = await vtestClip(join(work.path, 'burst.avi'), seconds);
  const schedule = join(work.path, 'always-steady.yaml');
  await writeFile(
    schedule,
    'id: always-steady\nversion: 1\noffsetMs: 30000\ncycle:\n  - aspect: steady_dont_walk\n    durationMs: 3600000\n',
  );
  const config = parseEdgeConfig(
    {
      deviceId: DEVICE,
      siteId: SITE,
      stateDir: join(work.path, 'state'),
      nats: await writeTestNatsClient(nats, work.path, DEVICE),
      models: { allowDownload: false },
      evidence: { clipAfterMs: CLIP_AFTER_MS, maxQueuedEvents: 1, maxQueuedFrameBytes: MAX_QUEUED_FRAME_BYTES },
      http: { listen: '127.0.0.1:0', tls: await testServerTls() },
      cameras: [
        {
          id: 'cam-q',
          source: { input: video, fps: 5, realtime },
          zone: {
            id: 'crossing',
            version: 1,
            polygon: [
              [0.45, 0.28],
              [0.62, 0.28],
              [0.66, 0.62],
              [0.48, 0.62],
            ],
          },
          signal: { schedule },
        },
      ],
    },
    work.path,
    {},
    'test',
  );
  const logs = createLogSink();
  const probe: { httpAddress?: string; health?: Promise<{ status: number; body: unknown }> } = {};
  const onFrame = (_frame: unknown, summary: Readonly<PipelineSummary>): void => {
    // Right after the first refusal, while the camera still runs: /healthz says so.
    if (summary.evidenceQueueFull > 0 && probe.httpAddress && !probe.health)
      probe.health = testHttps(`https://${probe.httpAddress}/healthz`).then((r) => ({
        status: r.status,
        body: r.json(),
      }));
  };
  const edge = await startEdge(
    config,
    createEdgeLogger('info', logs.stream),
    { ZEBRA_MODELS_MIRROR: testMirrors().join(':') },
    { onFrame },
  );
  probe.httpAddress = edge.httpAddress;
  // What queued evidence holds, sampled while the camera runs.
  let maxHeldBytes = 0;
  const sampler = setInterval(() => {
    void edge.metrics.evidenceFrameBytes.get().then((g) => {
      const held = g.values.find((v) => v.labels.kind === 'held')?.value ?? 0;
      maxHeldBytes = Math.max(maxHeldBytes, held);
    });
  }, 20);
  const [result] = await edge.done;
  clearInterval(sampler);
  expect(result!.error).toBeUndefined();
  const nc = await nats.connect();
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(INFRACTIONS_STREAM);
    const events: InfractionEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(INFRACTIONS_STREAM, { seq });
      if (message?.subject.startsWith('zebra.v1.events.')) events.push(InfractionEvent.decode(message.data));
    }
    events.sort((a, b) => a.cameraSeq - b.cameraSeq);
    const store = await new Objm(nc).open(EVIDENCE_BUCKET);
    let storedObjects = 0;
    for (const e of events)
      for (const ref of e.evidence) if ((await store.info(ref.objectKey)) !== null) storedObjects += 1;
    const counter = (await edge.metrics.evidenceWithheld.get()).values;
    return {
      summary: result!.summary!,
      events,
      withheldCounter: counter.find((v) => v.labels.camera === 'cam-q' && v.labels.reason === 'queue_full')?.value ?? 0,
      alerts: logs.lines.filter((l) => String(l.msg).startsWith('ALERT: evidence queue full')),
      health: probe.health ? await probe.health : undefined,
      maxHeldBytes,
      storedObjects,
    };
  } finally {
    await nc.close();
  }
}

const PUBLISHED = EvidenceStatus.EVIDENCE_STATUS_PUBLISHED;
const QUEUE_FULL = EvidenceStatus.EVIDENCE_STATUS_WITHHELD_QUEUE_FULL;
/** When an event was decided: the last observation of its track as sent (the track as it stood at the decision). */
const decidedMs = (e: InfractionEvent): number => e.track!.observations.at(-1)!.capturedAtMs;

/**
 * Events in the order they were decided. (Publish order differs: an event without evidence goes
 * out at once, ahead of a queued one still collecting its clip.)
 */
const byDecision = (events: readonly InfractionEvent[]): InfractionEvent[] =>
  // Decided on the same frame: the one queued came first.
  [...events].sort((a, b) => decidedMs(a) - decidedMs(b) || a.evidenceStatus - b.evidenceStatus);

/** What holds whatever the policy: every decided event sent once, in order, each with evidence or the reason. */
function expectNoneLost(run: BurstRun): { withEvidence: InfractionEvent[]; withheld: InfractionEvent[] } {
  const { summary, events } = run;
  const decided = summary.decisions.infraction;
  expect(decided, 'the burst is larger than the queue').toBeGreaterThanOrEqual(3);
  expect(summary.eventsFailed).toBe(0);
  expect(summary.eventsPublished).toBe(decided);
  expect(events).toHaveLength(decided);
  expect(events.map((e) => e.cameraSeq)).toEqual(events.map((_, i) => i + 1));
  const withEvidence = events.filter((e) => e.evidenceStatus === PUBLISHED);
  const withheld = events.filter((e) => e.evidenceStatus === QUEUE_FULL);
  expect(withEvidence.length + withheld.length).toBe(decided);
  expect(withEvidence.length).toBeGreaterThanOrEqual(1);
  expect(withheld.length).toBeGreaterThanOrEqual(1);
  expect(withheld.length).toBe(summary.evidenceQueueFull);
  for (const e of withEvidence) expect(e.evidence.map((r) => r.role)).toContain('clip');
  expect(run.storedObjects).toBe(withEvidence.reduce((n, e) => n + e.evidence.length, 0));
  for (const e of withheld) {
    expect(e.evidence).toEqual([]);
    expect(e.evidenceStatusDetail).toMatch(/^evidence queue full: .*evidence\.maxQueuedEvents 1\b/);
    expect(e.signature!.signature.length).toBeGreaterThan(0);
  }
  // Counted and alarmed, once per withheld event.
  expect(run.withheldCounter).toBe(withheld.length);
  expect(run.alerts).toHaveLength(withheld.length);
  expect(run.alerts[0]).toMatchObject({ camera: 'cam-q', limit: 'evidence.maxQueuedEvents' });
  // Memory held by queued frames stayed within the limit (and was measured at all).
  expect(run.maxHeldBytes).toBeGreaterThan(0);
  expect(run.maxHeldBytes).toBeLessThanOrEqual(MAX_QUEUED_FRAME_BYTES);
  return { withEvidence, withheld };
}

// Each case replays vtest through the real detectors: the replay case took over 300 s beside
// stress --cpu 4 (load average 12), when the whole file takes 90 s on a quiet machine.
describe('a camera with more infractions than its evidence queue holds', { timeout: 900_000 }, () => {
  it('a replay (frames can wait): exactly the events decided while the queued one still collects its clip go without evidence; the rest wait for room', async () => {
    const run = await runBurst(40, false);
    const { withheld } = expectNoneLost(run);
    // One place: the first is queued; a later one is withheld if and only if it was decided
    // before the last queued one's clip ended (capture time), since the frames wait for the rest.
    const [first, ...rest] = byDecision(run.events);
    expect(first!.evidenceStatus).toBe(PUBLISHED);
    let lastQueued = first!;
    for (const e of rest) {
      const clipEndMs = lastQueued.occurredAtMs + CLIP_AFTER_MS;
      if (decidedMs(e) < clipEndMs) expect(e.evidenceStatus, `event ${e.cameraSeq}`).toBe(QUEUE_FULL);
      // The frame that completes the clip may decide one more while the queue is still full.
      else if (decidedMs(e) > clipEndMs + 200) expect(e.evidenceStatus, `event ${e.cameraSeq}`).toBe(PUBLISHED);
      if (e.evidenceStatus === PUBLISHED) lastQueued = e;
    }
    expect(withheld.length).toBeGreaterThanOrEqual(1);
    expect(run.health, '/healthz asked after the first refusal').toBeDefined();
    expect(run.health!.status).toBe(503);
    expect((run.health!.body as { checks: Record<string, string> }).checks['evidence:cam-q']).toMatch(
      /^full \(evidence\.maxQueuedEvents reached/,
    );
  });

  it('a live camera (frames cannot wait): events decided while the queue is full go at once without evidence, none lost', async () => {
    const run = await runBurst(25, true);
    expectNoneLost(run);
    // Whatever the machine's speed, one decided while the queued one still collects is withheld.
    const [first, ...rest] = byDecision(run.events);
    let lastQueued = first!;
    expect(lastQueued.evidenceStatus).toBe(PUBLISHED);
    for (const e of rest) {
      if (decidedMs(e) < lastQueued.occurredAtMs + CLIP_AFTER_MS) expect(e.evidenceStatus).toBe(QUEUE_FULL);
      if (e.evidenceStatus === PUBLISHED) lastQueued = e;
    }
  });
});
