import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { EvidenceWindow } from '../evidence/plan.js';
import { DEFAULT_EVIDENCE_POLICY, evidenceSequence } from '../redact/evidence-sequence.js';
import type { RedactionResult, Redactor } from '../redact/redactor.js';
import type { RedactionSequence } from '../redact/sequence.js';
import type { CrosswalkZone, EntryDecision } from '../rule/entry-rule.js';
import type { Track } from '../track/tracker.js';
import type { DetectedFrame } from './frame-ring.js';

const NO_PIXELS = Buffer.alloc(0);

/** The frame without its pixels: what the job keeps once a frame is redacted or not needed. */
function withoutPixels(entry: DetectedFrame): DetectedFrame {
  return entry.frame.rgb.length === 0 ? entry : { ...entry, frame: { ...entry.frame, rgb: NO_PIXELS } };
}

/** The last capture time whose frame is evidence for the decision. */
function lastNeededMs(decision: EntryDecision, window: EvidenceWindow): number {
  return Math.max(decision.entry.capturedAtMs + window.clipAfterMs, decision.decidedAt.capturedAtMs);
}

/**
 * At most how many frame bytes a job for `decision` holds at once, from the frames held so far
 * (`frames`, up to now) and the camera's frame interval: every frame it will redact, each held
 * once (a frame's pixels are let go as soon as its redacted copy exists, and frames wait
 * unredacted while the face detector is behind), plus the one frame being redacted, held twice
 * until then, plus one frame of slack. Without a known interval, 30 fps is assumed.
 */
export function evidenceBytesBound(
  frames: readonly DetectedFrame[],
  decision: EntryDecision,
  window: EvidenceWindow,
  frameIntervalMs: number | undefined,
): number {
  const latest = frames.at(-1)?.frame;
  if (!latest) return 0;
  const intervalMs = Math.max(1, frameIntervalMs ?? 1000 / 30);
  const remainingMs = Math.max(0, lastNeededMs(decision, window) - latest.capturedAtMs);
  const count = frames.length + Math.ceil(remainingMs / intervalMs) + 1;
  return (count + 1) * latest.widthPx * latest.heightPx * 3;
}

/**
 * One decided infraction collecting its evidence frames. Each frame is redacted as soon as
 * its next neighbour is known (masks are carried from neighbours), so the work spreads over
 * the seconds after the entry instead of piling up when the clip ends. The first redaction
 * failure is kept and nothing redacted after it is used: the event then carries no evidence.
 * A frame's pixels are let go once it is redacted (or when it is not evidence): the job then
 * holds one copy of each frame, not two ({@link heldBytes}).
 */
export class EvidenceJob {
  readonly decision: EntryDecision;
  /** The track as it stood at the decision. */
  readonly track: Track;
  /** Frames from the clip's start on, growing until the clip's end has been seen; pixels only until redacted. */
  readonly frames: DetectedFrame[];
  readonly #sequence: RedactionSequence;
  readonly #lastNeededMs: number;
  readonly #firstNeededMs: number;
  readonly #redacted = new Map<number, RedactionResult>();
  #next = 0;
  #chain: Promise<void> = Promise.resolve();
  #failure: EdgeError | undefined;

  constructor(
    decision: EntryDecision,
    track: Track,
    frames: DetectedFrame[],
    redactor: Redactor,
    window: EvidenceWindow,
    zone: CrosswalkZone,
  ) {
    this.decision = decision;
    this.track = track;
    this.frames = frames;
    const entryMs = decision.entry.capturedAtMs;
    this.#sequence = evidenceSequence(redactor, redactor.evidencePolicy ?? DEFAULT_EVIDENCE_POLICY, {
      entryMs,
      decidedMs: decision.decidedAt.capturedAtMs,
      window,
      zonePolygon: zone.polygon,
      offender: track.history,
    });
    this.#firstNeededMs = entryMs - window.clipBeforeMs;
    this.#lastNeededMs = lastNeededMs(decision, window);
    this.#schedule(false);
  }

  add(entry: DetectedFrame): void {
    if (this.frames.at(-1)?.frame.capturedAtMs === entry.frame.capturedAtMs) return;
    this.frames.push(entry);
    this.#schedule(false);
  }

  #schedule(isFinal: boolean): void {
    const ready = isFinal ? this.frames.length : this.frames.length - 1;
    for (; this.#next < ready; this.#next++) {
      const i = this.#next;
      const { frame } = this.frames[i]!;
      if (frame.capturedAtMs < this.#firstNeededMs || frame.capturedAtMs > this.#lastNeededMs) {
        this.frames[i] = withoutPixels(this.frames[i]!);
        continue;
      }
      this.#chain = this.#chain.then(async () => {
        if (this.#failure) return void (this.frames[i] = withoutPixels(this.frames[i]!));
        try {
          this.#redacted.set(frame.capturedAtMs, await this.#sequence.redactAt(this.frames, i));
        } catch (err) {
          this.#failure =
            err instanceof EdgeError && err.code === EdgeErrorCode.REDACTION_FAILED
              ? err
              : new EdgeError(EdgeErrorCode.REDACTION_FAILED, `redaction failed: ${errorMessage(err)}`, { cause: err });
        }
        this.frames[i] = withoutPixels(this.frames[i]!);
      });
    }
  }

  /** Bytes of pixels this job holds now: frames not yet redacted, and redacted copies. */
  heldBytes(): number {
    let total = 0;
    for (const { frame } of this.frames) total += frame.rgb.length;
    for (const result of this.#redacted.values()) total += result.rgb.length;
    return total;
  }

  /** Every needed frame redacted, by capture time. Throws EDGE_REDACTION_FAILED on the first failure. */
  async redacted(): Promise<ReadonlyMap<number, RedactionResult>> {
    this.#schedule(true);
    await this.#chain;
    if (this.#failure) throw this.#failure;
    return this.#redacted;
  }
}
