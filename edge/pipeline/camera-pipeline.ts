import { performance } from 'node:perf_hooks';
import type { CandidateTally } from '../../proto/index.js';
import type { Detection, Detector } from '../detect/detection.js';
import { errorMessage } from '../errors.js';
import type { Frame, FrameSource } from '../frames/frame.js';
import type { Logger } from '../logger.js';
import type { EdgeMetrics } from '../metrics.js';
import { detectMotion, lumaGrid, shouldDetect } from '../motion/motion.js';
import type { LumaGrid, MotionOptions } from '../motion/motion.js';
import { isWindowComplete } from '../evidence/plan.js';
import { suspensionReasons, updateObstruction } from '../rule/enforcement.js';
import type { ObstructionOptions, ObstructionState, SuspensionReason } from '../rule/enforcement.js';
import { EMPTY_RULE_STATE, applyEntryRule } from '../rule/entry-rule.js';
import type { EntryDecision, EntryOutcome, RuleOptions } from '../rule/entry-rule.js';
import type { SignalSource } from '../signal/signal.js';
import { EMPTY_TRACKER, activeTrackCount, trackBoxesAt, updateTracker } from '../track/tracker.js';
import type { TrackerOptions } from '../track/tracker.js';
import { addToTallies, candidateReason, hourStartMs, trackOfEntry } from './candidates.js';
import type { Tallies } from './candidates.js';
import { FrameRing } from './frame-ring.js';
import type { DetectedFrame } from './frame-ring.js';
import { publishInfraction } from './infraction-job.js';
import type { InfractionPublishDeps, InfractionToPublish } from './infraction-job.js';
import { EvidenceJob, evidenceBytesBound } from './evidence-job.js';
import { DEFAULT_EVIDENCE_QUEUE_LIMITS, EvidenceQueues } from './evidence-queue.js';
import type { EvidenceTicket } from './evidence-queue.js';
import type { Track } from '../track/tracker.js';

export interface GatingOptions extends MotionOptions {
  readonly enabled: boolean;
  /** Run the detector at least this often even without motion (people standing still). */
  readonly maxIntervalMs: number;
  /** Tracks slower than this (frame sizes per second) count as standing still. */
  readonly stationarySpeedPerS: number;
}

/** At most one tally per camera this often (capture time), plus the last of each hour. */
const TALLY_INTERVAL_MS = 300_000;

export interface CameraPipelineDeps extends InfractionPublishDeps {
  readonly source: FrameSource;
  readonly detector: Detector;
  readonly signal: SignalSource;
  readonly rule: RuleOptions;
  readonly tracker: TrackerOptions;
  readonly gating: GatingOptions;
  readonly obstruction: ObstructionOptions;
  readonly logger: Logger;
  readonly metrics?: EdgeMetrics;
  /** Called with the hour's full counts whenever a rejected candidate is added. */
  readonly onTally?: (tally: Omit<CandidateTally, 'signature'>) => Promise<void>;
  /** Called after every frame, for progress displays. */
  readonly onFrame?: (frame: Frame, summary: Readonly<PipelineSummary>) => void;
  /** The device's evidence queues (shared by its cameras); default: this camera's own, default limits. */
  readonly evidenceQueues?: EvidenceQueues;
  /**
   * For a source whose frames can wait (a file replayed as fast as it goes): while the camera's
   * evidence queue is full, the next frame waits for room instead of an event going without
   * evidence. A live camera's frames cannot wait: there, a full queue withholds evidence.
   */
  readonly waitForEvidence?: boolean;
}

/** What one run of a camera pipeline did. */
export interface PipelineSummary {
  frames: number;
  detectorCalls: number;
  /** Frames motion gating kept from the detector. */
  framesGated: number;
  /** Frames dropped because detection failed on them. */
  framesSkipped: number;
  tracksStarted: number;
  decisions: Record<EntryOutcome, number>;
  /** Candidates by reason code: "infraction", a lawful outcome, or "suspended_<reason>". */
  candidates: Record<string, number>;
  eventsPublished: number;
  eventsFailed: number;
  evidenceWithheld: number;
  /** Of those, events whose evidence the full queue refused (the rest: redaction failed). */
  evidenceQueueFull: number;
  /** Sum of detector latencies, for averages. */
  detectorMs: number;
  /** Sum over published events of evidence time: detect faces, redact, encode, store. */
  evidenceMs: number;
}

function emptySummary(): PipelineSummary {
  return {
    frames: 0,
    detectorCalls: 0,
    framesGated: 0,
    framesSkipped: 0,
    tracksStarted: 0,
    decisions: { infraction: 0, lawful_walk: 0, lawful_flashing: 0, lawful_within_grace: 0, signal_dark: 0 },
    candidates: {},
    eventsPublished: 0,
    eventsFailed: 0,
    evidenceWithheld: 0,
    evidenceQueueFull: 0,
    detectorMs: 0,
    evidenceMs: 0,
  };
}

/** A frame whose detection has started. */
interface InFlightFrame {
  readonly frame: Frame;
  readonly detections: Promise<Detection[] | 'gated' | undefined>;
}

const SUSPENSION_REASONS: readonly SuspensionReason[] = [
  'signal_stale',
  'signal_unauthenticated',
  'camera_obstructed',
  'clock_unsynced',
];

/** The state of one camera's run: perception, rule and the infractions waiting for their clip. */
class CameraRun {
  readonly summary = emptySummary();
  readonly #deps: CameraPipelineDeps;
  readonly #ring: FrameRing;
  #tracker = EMPTY_TRACKER;
  #rule = EMPTY_RULE_STATE;
  #background: LumaGrid | undefined;
  #obstruction: ObstructionState = { flatSinceMs: undefined };
  #isObstructed = false;
  #lastDetectMs = -Infinity;
  #suspended = '';
  #tallies: Tallies = new Map();
  /** The hour whose latest counts are not published yet. */
  #dirtyHour: number | undefined;
  #lastTallyAtMs = -Infinity;
  #pending: EvidenceJob[] = [];
  readonly #evidence: EvidenceQueues;
  /** Each queued job's place in the evidence queue, released once its event is published. */
  readonly #tickets = new Map<EvidenceJob, EvidenceTicket>();
  /** Publishing runs one infraction at a time, in decision order, beside the frame loop. */
  #queue: Promise<void> = Promise.resolve();
  /** The frame bytes the last infraction asked the queue for. */
  #lastBoundBytes = 0;
  /** Settles at the next release of one of this camera's places in the evidence queue. */
  #released = released();

  constructor(deps: CameraPipelineDeps) {
    this.#deps = deps;
    const { window } = deps;
    this.#ring = new FrameRing(window.clipBeforeMs + deps.rule.minDwellMs + 2000);
    this.#evidence = deps.evidenceQueues ?? new EvidenceQueues(DEFAULT_EVIDENCE_QUEUE_LIMITS, deps.logger);
  }

  /**
   * First half of a frame: motion, the gating decision, and the detector started. Run for the
   * next frame before the current one is completed, so the detector is never idle while the
   * main thread tracks, decides and builds evidence.
   */
  begin(frame: Frame): InFlightFrame {
    this.summary.frames += 1;
    this.#deps.metrics?.frames.inc({ camera: this.#deps.cameraId });
    const hasMotion = this.#readMotion(frame);
    return { frame, detections: this.#startDetect(frame, hasMotion) };
  }

  /** Second half, in frame order: tracker, ring, evidence jobs, suspension and the rule. */
  async complete({ frame, detections: pending }: InFlightFrame): Promise<void> {
    const result = await pending;
    if (result === undefined) return;
    const detections = result === 'gated' ? [] : result;
    if (result !== 'gated') {
      const before = this.#tracker.nextId;
      this.#tracker = updateTracker(this.#tracker, detections, frame.capturedAtMs, this.#deps.tracker);
      this.summary.tracksStarted += this.#tracker.nextId - before;
    }
    const entry: DetectedFrame = {
      frame,
      detections,
      maskBoxes: [...trackBoxesAt(this.#tracker, frame.capturedAtMs), ...detections.map((d) => d.box)],
    };
    this.#ring.push(entry);
    this.#feedPending(entry);
    this.#trackSuspension(frame.capturedAtMs);
    const applied = applyEntryRule(
      this.#rule,
      this.#tracker.tracks,
      this.#deps.zone,
      { signalAt: (atMs) => this.#deps.signal.readingAt(atMs), isCameraObstructed: this.#isObstructed },
      this.#deps.rule,
    );
    this.#rule = applied.state;
    for (const decision of applied.decisions) this.#onDecision(decision, frame.capturedAtMs);
  }

  #readMotion(frame: Frame): boolean {
    const grid = lumaGrid(frame.rgb, frame.widthPx, frame.heightPx, this.#deps.gating.gridWidth);
    const { reading, background } = detectMotion(this.#background, grid, this.#deps.gating);
    this.#background = background;
    const obstruction = updateObstruction(
      this.#obstruction,
      reading.lumaStddev,
      frame.capturedAtMs,
      this.#deps.obstruction,
    );
    this.#obstruction = obstruction.state;
    this.#isObstructed = obstruction.isObstructed;
    return reading.hasMotion;
  }

  /** Detections for the frame: 'gated' when skipped, undefined when the detector failed (frame dropped). */
  #startDetect(frame: Frame, hasMotion: boolean): Promise<Detection[] | 'gated' | undefined> {
    const { gating, metrics, cameraId } = this.#deps;
    const needed = shouldDetect({
      gatingEnabled: gating.enabled,
      hasMotion,
      activeTracks: activeTrackCount(this.#tracker, gating.stationarySpeedPerS),
      msSinceLastDetect: frame.capturedAtMs - this.#lastDetectMs,
      maxIntervalMs: gating.maxIntervalMs,
    });
    if (!needed) {
      this.summary.framesGated += 1;
      metrics?.framesSkipped.inc({ camera: cameraId, reason: 'no_motion' });
      return Promise.resolve('gated');
    }
    this.#lastDetectMs = frame.capturedAtMs;
    const startedAt = performance.now();
    return this.#deps.detector.detect(frame.rgb, frame.widthPx, frame.heightPx).then(
      (detections) => {
        const elapsedMs = performance.now() - startedAt;
        this.summary.detectorCalls += 1;
        this.summary.detectorMs += elapsedMs;
        metrics?.detectorCalls.inc({ camera: cameraId });
        metrics?.detectorSeconds.observe({ camera: cameraId }, elapsedMs / 1000);
        return detections;
      },
      (err: unknown) => {
        this.summary.framesSkipped += 1;
        metrics?.framesSkipped.inc({ camera: cameraId, reason: 'detector_failed' });
        this.#deps.logger.error({ err, frameIndex: frame.index }, 'frame skipped: detection failed');
        return undefined;
      },
    );
  }

  #trackSuspension(atMs: number): void {
    const reasons = suspensionReasons(this.#deps.signal.readingAt(atMs), this.#isObstructed);
    const key = reasons.join(',');
    if (key === this.#suspended) return;
    for (const reason of SUSPENSION_REASONS)
      this.#deps.metrics?.suspended.set({ camera: this.#deps.cameraId, reason }, reasons.includes(reason) ? 1 : 0);
    if (reasons.length > 0) this.#deps.logger.warn({ reasons }, 'enforcement suspended: candidates are marked');
    else this.#deps.logger.info({ was: this.#suspended.split(',') }, 'enforcement resumed');
    this.#suspended = key;
  }

  #onDecision(decision: EntryDecision, nowMs: number): void {
    const reason = candidateReason(decision);
    this.summary.decisions[decision.outcome] += 1;
    this.summary.candidates[reason] = (this.summary.candidates[reason] ?? 0) + 1;
    this.#deps.metrics?.candidates.inc({ camera: this.#deps.cameraId, reason });
    this.#deps.logger.info(
      {
        trackId: decision.trackId,
        entryNumber: decision.entryNumber,
        outcome: decision.outcome,
        reason,
        signal: decision.signal.aspect,
      },
      'entry decided',
    );
    if (reason !== 'infraction') this.#tally(decision.entry.capturedAtMs, reason);
    if (decision.outcome !== 'infraction') return;
    // Suspended infractions are still published, marked, so the trail shows them.
    const track = trackOfEntry(
      this.#tracker.tracks.find((t) => t.id === decision.trackId)!,
      decision,
    );
    const fromMs = decision.entry.capturedAtMs - this.#deps.window.clipBeforeMs;
    this.#openEvidence(decision, track, this.#ring.between(fromMs, nowMs));
  }

  /** Queues the infraction's evidence, or, when the queue is full, publishes it at once without. */
  #openEvidence(decision: EntryDecision, track: Track, frames: DetectedFrame[]): void {
    const { cameraId, window, redactor } = this.#deps;
    const bound = evidenceBytesBound(frames, decision, window, this.#ring.frameIntervalMs());
    this.#lastBoundBytes = bound;
    const held: { job?: EvidenceJob; heldBytes(): number } = { heldBytes: () => held.job?.heldBytes() ?? 0 };
    const admission = this.#evidence.admit(cameraId, bound, held);
    if (!admission.admitted) {
      this.summary.evidenceQueueFull += 1;
      this.#enqueue({ decision, track, evidence: { queueFull: admission.detail } });
      return;
    }
    const job = new EvidenceJob(decision, track, frames, redactor, window, this.#deps.zone);
    held.job = job;
    this.#tickets.set(job, admission.ticket);
    this.#pending.push(job);
  }

  #tally(atMs: number, reason: string): void {
    this.#tallies = addToTallies(this.#tallies, atMs, reason);
    const hour = hourStartMs(atMs);
    // Each tally holds the hour's full counts, so one every few minutes is enough: a busy
    // crossing must not fill the site outbox with tallies during an outage.
    if (this.#dirtyHour !== undefined && this.#dirtyHour !== hour) this.#sendTally(this.#dirtyHour);
    this.#dirtyHour = hour;
    if (atMs - this.#lastTallyAtMs >= TALLY_INTERVAL_MS) {
      this.#lastTallyAtMs = atMs;
      this.#sendTally(hour);
    }
  }

  #sendTally(hour: number): void {
    if (this.#dirtyHour === hour) this.#dirtyHour = undefined;
    const counts = [...(this.#tallies.get(hour) ?? new Map<string, number>())].map(([reasonCode, count]) => ({
      reasonCode,
      count,
    }));
    const onTally = this.#deps.onTally;
    if (!onTally) return;
    const { deviceId, siteId, cameraId } = this.#deps;
    this.#queue = this.#queue.then(() =>
      onTally({ deviceId, siteId, cameraId, hourStartMs: hour, counts }).catch((err: unknown) =>
        this.#deps.logger.error({ err }, `candidate tally not published: ${errorMessage(err)}`),
      ),
    );
  }

  #feedPending(entry: DetectedFrame): void {
    const ready: EvidenceJob[] = [];
    for (const p of this.#pending) {
      p.add(entry);
      if (isWindowComplete(entry.frame.capturedAtMs, p.decision.entry.capturedAtMs, this.#deps.window)) ready.push(p);
    }
    this.#pending = this.#pending.filter((p) => !ready.includes(p));
    for (const p of ready) this.#enqueue(p);
  }

  #enqueue(job: EvidenceJob | InfractionToPublish): void {
    const item = job instanceof EvidenceJob ? { decision: job.decision, track: job.track, evidence: job } : job;
    this.#queue = this.#queue.then(() => this.#publish(item));
  }

  async #publish(pending: InfractionToPublish): Promise<void> {
    const { metrics, cameraId, logger } = this.#deps;
    try {
      const startedAt = performance.now();
      const { eventId, withheldReason, withheldBecause } = await publishInfraction(pending, this.#deps);
      if (withheldBecause !== 'queue_full') this.summary.evidenceMs += performance.now() - startedAt;
      this.summary.eventsPublished += 1;
      if (withheldReason !== undefined) this.summary.evidenceWithheld += 1;
      if (withheldBecause === 'redaction_failed')
        metrics?.evidenceWithheld.inc({ camera: cameraId, reason: 'redaction_failed' });
      metrics?.events.inc({ camera: cameraId, evidence: withheldReason === undefined ? 'published' : 'withheld' });
      logger.info(
        { eventId, trackId: pending.track.id, suspended: pending.decision.suspendedReasons, withheldBecause },
        'infraction published',
      );
    } catch (err) {
      this.summary.eventsFailed += 1;
      logger.error({ err, trackId: pending.track.id }, `infraction not published: ${errorMessage(err)}`);
    } finally {
      if (pending.evidence instanceof EvidenceJob) {
        this.#tickets.get(pending.evidence)?.release();
        this.#tickets.delete(pending.evidence);
        const was = this.#released;
        this.#released = released();
        was.resolve();
      }
    }
  }

  /**
   * Waits while this camera's evidence queue is full and part of it is only being published
   * (that part frees room without more frames; a job still collecting frames needs the next one).
   */
  async roomForEvidence(): Promise<void> {
    const { cameraId } = this.#deps;
    while (this.#evidence.isFull(cameraId, this.#lastBoundBytes) && this.#tickets.size > this.#pending.length)
      await this.#released.promise;
  }

  /** Publishes what is still waiting (the source ended before their clip did) and waits for all. */
  async finish(): Promise<void> {
    for (const p of this.#pending) this.#enqueue(p);
    this.#pending = [];
    if (this.#dirtyHour !== undefined) this.#sendTally(this.#dirtyHour);
    await this.#queue;
  }
}

/** Runs one camera until its source ends: gate, detect, track, apply the rule, publish infractions. */
export async function runCameraPipeline(deps: CameraPipelineDeps): Promise<PipelineSummary> {
  const run = new CameraRun(deps);
  const fps = new FpsMeter();
  const completeFrame = async (inFlight: InFlightFrame): Promise<void> => {
    await run.complete(inFlight);
    deps.metrics?.fps.set({ camera: deps.cameraId }, fps.tick(performance.now()));
    deps.onFrame?.(inFlight.frame, run.summary);
  };
  // One frame ahead: the next frame's detection runs while this one is completed.
  let previous: InFlightFrame | undefined;
  try {
    for await (const frame of deps.source) {
      const current = run.begin(frame);
      if (previous) await completeFrame(previous);
      previous = current;
      if (deps.waitForEvidence) await run.roomForEvidence();
    }
    if (previous) await completeFrame(previous);
  } finally {
    await run.finish();
  }
  return run.summary;
}

function released(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Frames per second over the last 5 s of wall time. */
class FpsMeter {
  readonly #times: number[] = [];

  tick(nowMs: number): number {
    this.#times.push(nowMs);
    while (this.#times.length > 1 && this.#times[0]! < nowMs - 5000) this.#times.shift();
    const spanMs = nowMs - this.#times[0]!;
    return spanMs > 0 ? ((this.#times.length - 1) * 1000) / spanMs : 0;
  }
}
