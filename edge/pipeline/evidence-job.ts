import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { EvidenceWindow } from '../evidence/plan.js';
import { DEFAULT_EVIDENCE_POLICY, evidenceSequence } from '../redact/evidence-sequence.js';
import type { RedactionResult, Redactor } from '../redact/redactor.js';
import type { RedactionSequence } from '../redact/sequence.js';
import type { CrosswalkZone, EntryDecision } from '../rule/entry-rule.js';
import type { Track } from '../track/tracker.js';
import type { DetectedFrame } from './frame-ring.js';

/**
 * One decided infraction collecting its evidence frames. Each frame is redacted as soon as
 * its next neighbour is known (masks are carried from neighbours), so the work spreads over
 * the seconds after the entry instead of piling up when the clip ends. The first redaction
 * failure is kept and nothing redacted after it is used: the event then carries no evidence.
 */
export class EvidenceJob {
  readonly decision: EntryDecision;
  /** The track as it stood at the decision. */
  readonly track: Track;
  /** Frames from the clip's start on, growing until the clip's end has been seen. */
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
    this.#lastNeededMs = Math.max(entryMs + window.clipAfterMs, decision.decidedAt.capturedAtMs);
    this.#schedule(false);
  }

  add(entry: DetectedFrame): void {
    if (this.frames.at(-1)?.frame === entry.frame) return;
    this.frames.push(entry);
    this.#schedule(false);
  }

  #schedule(isFinal: boolean): void {
    const ready = isFinal ? this.frames.length : this.frames.length - 1;
    for (; this.#next < ready; this.#next++) {
      const i = this.#next;
      const { frame } = this.frames[i]!;
      if (frame.capturedAtMs < this.#firstNeededMs || frame.capturedAtMs > this.#lastNeededMs) continue;
      this.#chain = this.#chain.then(async () => {
        if (this.#failure) return;
        try {
          this.#redacted.set(frame.capturedAtMs, await this.#sequence.redactAt(this.frames, i));
        } catch (err) {
          this.#failure =
            err instanceof EdgeError && err.code === EdgeErrorCode.REDACTION_FAILED
              ? err
              : new EdgeError(EdgeErrorCode.REDACTION_FAILED, `redaction failed: ${errorMessage(err)}`, { cause: err });
        }
      });
    }
  }

  /** Every needed frame redacted, by capture time. Throws EDGE_REDACTION_FAILED on the first failure. */
  async redacted(): Promise<ReadonlyMap<number, RedactionResult>> {
    this.#schedule(true);
    await this.#chain;
    if (this.#failure) throw this.#failure;
    return this.#redacted;
  }
}
