import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEdgeLogger, parseEdgeConfig } from '../../../edge/index.js';
import { createEdgeMetrics } from '../../../edge/metrics.js';
import type { EdgeMetrics } from '../../../edge/metrics.js';
import type { Frame } from '../../../edge/frames/frame.js';
import { EvidenceJob, evidenceBytesBound } from '../../../edge/pipeline/evidence-job.js';
import {
  DEFAULT_EVIDENCE_QUEUE_LIMITS,
  EvidenceQueues,
  FULL_HOLD_MS,
  refuseEvidence,
} from '../../../edge/pipeline/evidence-queue.js';
import type { EvidenceTicket } from '../../../edge/pipeline/evidence-queue.js';
import { FrameRing } from '../../../edge/pipeline/frame-ring.js';
import type { DetectedFrame } from '../../../edge/pipeline/frame-ring.js';
import { EvidenceRedactor } from '../../../edge/redact/redactor.js';
import type { Redactor } from '../../../edge/redact/redactor.js';
import type { EntryDecision } from '../../../edge/rule/entry-rule.js';
import type { Track } from '../../../edge/track/tracker.js';
import { createLogSink } from '../../harness/log-sink.js';

const limits = { maxQueuedEvents: 3, maxQueuedFrameBytes: 100_000_000 };

async function withheldCount(metrics: EdgeMetrics, camera: string): Promise<number> {
  const values = (await metrics.evidenceWithheld.get()).values;
  return values.find((v) => v.labels.camera === camera && v.labels.reason === 'queue_full')?.value ?? 0;
}

describe('evidence queue: the pure admission rule', () => {
  it('refuses at maxQueuedEvents and beyond maxQueuedFrameBytes, naming the key; admits otherwise', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10 }),
        fc.nat({ max: 200_000_000 }),
        fc.nat({ max: 200_000_000 }),
        fc.integer({ min: 1, max: 8 }),
        (queued, reserved, request, maxQueuedEvents) => {
          const l = { maxQueuedEvents, maxQueuedFrameBytes: 100_000_000 };
          const refusal = refuseEvidence(queued, reserved, request, l);
          if (queued >= maxQueuedEvents) expect(refusal?.key).toBe('evidence.maxQueuedEvents');
          else if (reserved + request > l.maxQueuedFrameBytes)
            expect(refusal?.key).toBe('evidence.maxQueuedFrameBytes');
          else expect(refusal).toBeUndefined();
          if (refusal) expect(refusal.detail).toContain(refusal.key);
        },
      ),
    );
  });
});

describe('evidence queues of a device', () => {
  it('property: any sequence of admits and releases keeps every camera within its events and the device within its bytes; every refusal counted', async () => {
    const run = fc.array(
      fc.oneof(
        fc.record({ admit: fc.constantFrom('a', 'b'), bytes: fc.integer({ min: 0, max: 60_000_000 }) }),
        fc.record({ release: fc.nat() }),
      ),
      { maxLength: 40 },
    );
    await fc.assert(
      fc.asyncProperty(run, async (ops) => {
        const metrics = createEdgeMetrics();
        const queues = new EvidenceQueues(limits, createEdgeLogger('silent'), metrics);
        const tickets: EvidenceTicket[] = [];
        let refused = 0;
        for (const op of ops) {
          if ('admit' in op) {
            const admission = queues.admit(op.admit, op.bytes, { heldBytes: () => op.bytes });
            if (admission.admitted) tickets.push(admission.ticket);
            else refused += 1;
          } else if (tickets.length > 0) {
            const [ticket] = tickets.splice(op.release % tickets.length, 1);
            ticket!.release();
            ticket!.release(); // twice is harmless
          }
          expect(queues.queuedEvents('a')).toBeLessThanOrEqual(limits.maxQueuedEvents);
          expect(queues.queuedEvents('b')).toBeLessThanOrEqual(limits.maxQueuedEvents);
          expect(queues.reservedFrameBytes).toBeLessThanOrEqual(limits.maxQueuedFrameBytes);
          expect(queues.heldFrameBytes()).toBe(queues.reservedFrameBytes);
          expect(queues.queuedEvents('a') + queues.queuedEvents('b')).toBe(tickets.length);
        }
        expect((await withheldCount(metrics, 'a')) + (await withheldCount(metrics, 'b'))).toBe(refused);
      }),
      { numRuns: 100 },
    );
  });

  it('a full camera is alarmed: ALERT log, counter, gauge and /healthz state for a minute; the other camera is unaffected', async () => {
    const metrics = createEdgeMetrics();
    const logs = createLogSink();
    let nowMs = 1_000_000;
    const queues = new EvidenceQueues(
      { maxQueuedEvents: 1, maxQueuedFrameBytes: 1e9 },
      createEdgeLogger('info', logs.stream),
      metrics,
      () => nowMs,
    );
    const first = queues.admit('cam-1', 1000, { heldBytes: () => 700 });
    expect(first.admitted).toBe(true);
    const second = queues.admit('cam-1', 1000, { heldBytes: () => 0 });
    expect(second).toMatchObject({ admitted: false, key: 'evidence.maxQueuedEvents' });
    expect(queues.admit('cam-2', 1000, { heldBytes: () => 0 }).admitted).toBe(true);
    expect(await withheldCount(metrics, 'cam-1')).toBe(1);
    expect(await withheldCount(metrics, 'cam-2')).toBe(0);
    expect(queues.state('cam-1')).toMatch(/^full \(evidence\.maxQueuedEvents reached; 1 events/);
    expect(queues.state('cam-2')).toBe('ok');
    const alert = logs.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('ALERT: evidence queue full'));
    expect(alert).toMatchObject({ level: 50, camera: 'cam-1', limit: 'evidence.maxQueuedEvents' });
    const gauge = await metrics.registry.getSingleMetricAsString('zebra_edge_evidence_frame_bytes');
    expect(gauge).toContain('zebra_edge_evidence_frame_bytes{kind="reserved"} 2000');
    expect(gauge).toContain('zebra_edge_evidence_frame_bytes{kind="held"} 700');
    expect(await metrics.registry.getSingleMetricAsString('zebra_edge_evidence_queued_events')).toContain(
      'zebra_edge_evidence_queued_events{camera="cam-1"} 1',
    );
    nowMs += FULL_HOLD_MS - 1;
    expect(queues.state('cam-1')).toMatch(/^full/);
    nowMs += 1;
    expect(queues.state('cam-1')).toBe('ok');
    if (first.admitted) first.ticket.release();
    expect(queues.admit('cam-1', 1000, { heldBytes: () => 0 }).admitted).toBe(true);
  });

  it('config: the queue keys have defaults and their errors name the key', () => {
    const base = {
      deviceId: 'd',
      siteId: 's',
      stateDir: '/tmp/x',
      nats: { servers: ['nats://127.0.0.1:1'] },
      cameras: [
        {
          id: 'c',
          source: { input: '/tmp/v.avi' },
          zone: {
            id: 'z',
            version: 1,
            polygon: [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          },
          signal: { schedule: 's.yaml' },
        },
      ],
    };
    const config = parseEdgeConfig(base, '/tmp', {}, 't');
    expect(config.evidence).toMatchObject(DEFAULT_EVIDENCE_QUEUE_LIMITS);
    expect(() => parseEdgeConfig({ ...base, evidence: { maxQueuedEvents: 0 } }, '/tmp', {}, 't')).toThrow(
      /evidence\.maxQueuedEvents: /,
    );
    expect(() => parseEdgeConfig({ ...base, evidence: { maxQueuedFrameBytes: 1000 } }, '/tmp', {}, 't')).toThrow(
      /evidence\.maxQueuedFrameBytes: must be at least 67108864/,
    );
    expect(() => parseEdgeConfig({ ...base, evidence: { maxQueuedEvents: 2.5 } }, '/tmp', {}, 't')).toThrow(
      /evidence\.maxQueuedEvents/,
    );
  });
});

const W = 64;
const H = 48;
const WINDOW = { clipBeforeMs: 1000, clipAfterMs: 1000, keyframeOffsetMs: 500 };

function detected(atMs: number): DetectedFrame {
  const frame: Frame = {
    cameraId: 'c',
    index: atMs / 200,
    capturedAtMs: atMs,
    widthPx: W,
    heightPx: H,
    rgb: Buffer.alloc(W * H * 3, atMs % 251),
  };
  return { frame, detections: [], maskBoxes: [{ x1: 0.2, y1: 0.2, x2: 0.4, y2: 0.9 }] };
}

function decisionAt(entryMs: number, decidedMs: number): EntryDecision {
  const point = (capturedAtMs: number) => ({ capturedAtMs, box: { x1: 0.2, y1: 0.2, x2: 0.4, y2: 0.9 }, score: 0.9 });
  return { trackId: 1, entry: point(entryMs), decidedAt: point(decidedMs) } as unknown as EntryDecision;
}

/** A ring of frames every 200 ms up to `toMs`, the frames since 0, and a job's bound for `decision`. */
function heldSoFar(toMs: number, decision: EntryDecision) {
  const ring = new FrameRing(5000);
  for (let t = 0; t <= toMs; t += 200) ring.push(detected(t));
  const frames = ring.between(0, toMs);
  return { frames, bound: evidenceBytesBound(frames, decision, WINDOW, ring.frameIntervalMs()) };
}

/** The real redactor with no face detector (head fallback only). */
const headsOnly = (): EvidenceRedactor =>
  new EvidenceRedactor({ method: 'pixelate', minBlockPx: 4, personDetectorId: 'p', faceMarginRatio: 0.2 });

const LOWER_HALF = {
  id: 'z',
  version: 1,
  polygon: [
    [0, 0.5],
    [1, 0.5],
    [1, 1],
  ] as const,
};

describe('an evidence job holds at most its bound, and one copy of each frame once redacted', () => {
  it('with real frames and the real redactor (head fallback), from the decision to the last frame', async () => {
    const decision = decisionAt(1000, 1400);
    const { frames, bound } = heldSoFar(1400, decision);
    const frameBytes = W * H * 3;
    // frames 0..1400 (8), then 1600..2000 (3 more), one of slack, and the one being redacted held twice
    expect(bound).toBe((8 + 3 + 1 + 1) * frameBytes);
    const job = new EvidenceJob(
      decision,
      { id: 1, history: [] } as unknown as Track,
      frames,
      headsOnly(),
      WINDOW,
      LOWER_HALF,
    );
    let maxHeld = job.heldBytes();
    for (let t = 1600; t <= 2400; t += 200) {
      job.add(detected(t));
      maxHeld = Math.max(maxHeld, job.heldBytes());
      await new Promise((r) => setImmediate(r));
      maxHeld = Math.max(maxHeld, job.heldBytes());
    }
    const redacted = await job.redacted();
    maxHeld = Math.max(maxHeld, job.heldBytes());
    expect(maxHeld).toBeLessThanOrEqual(bound);
    // Frames 0..2000 are evidence (11); 2200 and 2400 are past the clip and never redacted.
    expect([...redacted.keys()]).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    expect(job.heldBytes()).toBe(11 * frameBytes);
    expect(job.frames.every((f) => f.frame.rgb.length === 0)).toBe(true);
    expect(job.frames.map((f) => f.frame.capturedAtMs)).toEqual([...Array(13).keys()].map((i) => i * 200));
  });

  it('with a face detector that falls behind, frames wait unredacted and the job still holds at most its bound', async () => {
    const decision = decisionAt(1000, 1000);
    const { frames, bound } = heldSoFar(1000, decision);
    const real = headsOnly();
    // Each redaction waits until the test lets it go: the detector is as far behind as it can be.
    const gates: (() => void)[] = [];
    const slow: Redactor = {
      redact: async (...args) => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return real.redact(...args);
      },
    };
    const job = new EvidenceJob(decision, { id: 1, history: [] } as unknown as Track, frames, slow, WINDOW, LOWER_HALF);
    for (let t = 1200; t <= 2200; t += 200) job.add(detected(t));
    const done = job.redacted();
    let maxHeld = job.heldBytes();
    for (let step = 0; step < 100; step++) {
      await new Promise((r) => setImmediate(r));
      maxHeld = Math.max(maxHeld, job.heldBytes());
      const next = gates.shift();
      if (!next) break;
      next();
    }
    const redacted = await done;
    // Frames 0..2000 are evidence (11): all of them were held unredacted at once, within the bound.
    expect(redacted.size).toBe(11);
    expect(maxHeld).toBeGreaterThanOrEqual(11 * W * H * 3);
    expect(maxHeld).toBeLessThanOrEqual(bound);
  });

  it('without a known frame interval, the bound assumes 30 fps', () => {
    const only = [detected(1000)];
    const bound = evidenceBytesBound(only, decisionAt(1000, 1000), WINDOW, undefined);
    expect(bound).toBe((1 + Math.ceil(1000 / (1000 / 30)) + 1 + 1) * W * H * 3);
  });
});
