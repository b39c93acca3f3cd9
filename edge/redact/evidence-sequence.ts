import type { NormBox } from '../detect/detection.js';
import { isPlannedKeyframe } from '../evidence/plan.js';
import type { EvidenceWindow } from '../evidence/plan.js';
import type { TrackPoint } from '../track/tracker.js';
import { keepRegions, offenderBoxAt, zoneBox } from './need-to-know.js';
import type { Redactor } from './redactor.js';
import { RedactionSequence } from './sequence.js';
import type { FaceCadence, SequenceFrame } from './sequence.js';

/** How an event's evidence is redacted, fixed for a device. */
export interface EvidenceRedactionPolicy {
  readonly cadence: FaceCadence;
  /** Everything outside the zone and the offender's box is pixelated coarsely. */
  readonly needToKnow: boolean;
}

/** A full search on keyframes and at least every 2 s at 5 fps, a light one at least every second. */
export const DEFAULT_EVIDENCE_CADENCE: FaceCadence = { fullEveryFrames: 10, lightEveryFrames: 5 };

export const DEFAULT_EVIDENCE_POLICY: EvidenceRedactionPolicy = {
  cadence: DEFAULT_EVIDENCE_CADENCE,
  needToKnow: false,
};

/** What one event's evidence is about. */
export interface EvidenceSubject {
  readonly entryMs: number;
  readonly decidedMs: number;
  readonly window: EvidenceWindow;
  readonly zonePolygon: readonly (readonly [number, number])[];
  /** The offender's track as it stood at the decision. */
  readonly offender: readonly TrackPoint[];
}

/**
 * The redaction sequence of one event's evidence: every keyframe gets a full face search,
 * the clip frames the policy's cadence; in need-to-know mode, each frame keeps sharp only
 * the zone and the offender's box (followed past the decision through the person boxes).
 */
export function evidenceSequence(
  redactor: Redactor,
  policy: EvidenceRedactionPolicy,
  subject: EvidenceSubject,
): RedactionSequence {
  const zone = zoneBox(subject.zonePolygon);
  let lastOffender: { i: number; box: NormBox | undefined } = { i: -1, box: undefined };
  const keepAt = (frames: readonly SequenceFrame[], i: number): NormBox[] => {
    const f = frames[i]!;
    const previous = lastOffender.i >= 0 && lastOffender.i < i ? lastOffender.box : undefined;
    const box = offenderBoxAt(subject.offender, f.frame.capturedAtMs, previous, f.maskBoxes);
    lastOffender = { i, box };
    return keepRegions(zone, box);
  };
  return new RedactionSequence(redactor, {
    cadence: policy.cadence,
    isKeyframe: (frames, i) =>
      isPlannedKeyframe(
        frames.map((f) => f.frame.capturedAtMs),
        i,
        subject.entryMs,
        subject.decidedMs,
        subject.window,
      ),
    ...(policy.needToKnow ? { keepAt } : {}),
  });
}
