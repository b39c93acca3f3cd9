/** The edge config's vision sections: tracker, rule, redaction and evidence (parts of EdgeConfigSchema). */
import { z } from 'zod';
import { DEFAULT_EVIDENCE_QUEUE_LIMITS } from './pipeline/evidence-queue.js';
import { DEFAULT_RULE_OPTIONS } from './rule/entry-rule.js';
import { DEFAULT_TRACKER_OPTIONS } from './track/tracker.js';

export const TrackerSection = z
  .object({
    highScore: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Detections at or above this score are matched first and may start tracks'),
    minIou: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Overlap a high-score detection needs with the predicted box'),
    minIouLow: z
      .number()
      .min(0)
      .max(1)
      .default(0.4)
      .describe('Overlap a low-score detection needs to continue a track'),
    maxLostMs: z.number().int().positive().default(1500),
    maxHistory: z.number().int().positive().default(100),
    switchShiftBoxes: z
      .number()
      .min(0)
      .max(10)
      .default(DEFAULT_TRACKER_OPTIONS.switchShiftBoxes)
      .describe(
        'Identity switch: a box further than this many box sizes (plus switchShiftBoxesPerS per second of gap) from where the motion model put the track starts a new track',
      ),
    switchShiftBoxesPerS: z
      .number()
      .min(0)
      .max(100)
      .default(DEFAULT_TRACKER_OPTIONS.switchShiftBoxesPerS)
      .describe('How much further, in box sizes per second since the track was last seen'),
    switchAreaRatio: z
      .number()
      .min(1.1, 'must be at least 1.1 (a box that may not change size at all would split every track)')
      .max(100)
      .default(DEFAULT_TRACKER_OPTIONS.switchAreaRatio)
      .describe('Identity switch: a box whose area differs from the track’s last box by more than this factor'),
  })
  .strict()
  .prefault({});

export const RuleSection = z
  .object({
    graceMs: z
      .number()
      .int()
      .nonnegative()
      .default(1000)
      .describe("Entries this soon after steady DON'T WALK are lawful"),
    minDwellMs: z.number().int().nonnegative().default(400).describe('Feet must stay inside this long to count'),
    reentryOutsideMs: z
      .number()
      .int()
      .nonnegative()
      .max(600_000)
      .default(DEFAULT_RULE_OPTIONS.reentryOutsideMs)
      .describe('After a stay inside, feet must be out (beyond the band) this long before coming back is a new entry'),
    edgeHysteresis: z
      .number()
      .min(0, 'must be in [0,0.25]')
      .max(0.25, 'must be in [0,0.25]')
      .default(DEFAULT_RULE_OPTIONS.edgeHysteresis)
      .describe('Width of the band around the zone outline (normalised units) in which feet neither leave nor enter'),
  })
  .strict()
  .prefault({});

export const RedactionSection = z
  .object({
    method: z.enum(['pixelate', 'solid']).default('pixelate').describe('How faces and heads are masked'),
    faceModel: z.enum(['ultraface-rfb-640', 'ultraface-rfb-320']).default('ultraface-rfb-640'),
    smallFaceModel: z
      .enum(['none', 'ultraface-rfb-320'])
      .default('ultraface-rfb-320')
      .describe(
        'A second face model with a smaller input (the same family as faceModel): face windows that fit it are searched there, for about a quarter of the CPU; none: every window on faceModel',
      ),
    faceMinScore: z
      .number()
      .min(0.05)
      .max(0.95)
      .default(0.3)
      .describe('Mask faces at or above this score (low on purpose)'),
    faceMarginRatio: z.number().min(0).max(1).default(0.25).describe('Widen each face box by this much on every side'),
    faceSearch: z
      .enum(['multi-scale', 'whole-frame'])
      .default('multi-scale')
      .describe(
        'multi-scale: person boxes, the frame at up to 1x and, on a full search, tiles at tileScale (faces down to about 10 px); whole-frame: the frame once at the model size (misses faces under about 24 px)',
      ),
    tileScale: z
      .number()
      .min(1)
      .max(4)
      .default(2)
      .describe('Enlargement of the tiled face search (2: a 10 px face is looked for at 20 px)'),
    fullSearchEveryFrames: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('Evidence: a full face search (tiles) at least every this many frames, and on every keyframe'),
    lightSearchEveryFrames: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe('Evidence: a light face search (frame at 1x, upper boxes) at least every this many frames'),
  })
  .strict()
  .prefault({});

export const EvidenceSection = z
  .object({
    jpegQuality: z.number().int().min(50).max(100).default(85),
    clipBeforeMs: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(3000)
      .describe('The clip starts this long before the entry'),
    clipAfterMs: z.number().int().min(0).max(10_000).default(3000).describe('The clip ends this long after the entry'),
    keyframeOffsetMs: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(1000)
      .describe('The before and after keyframes are this far from the entry'),
    maxQueuedEvents: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(DEFAULT_EVIDENCE_QUEUE_LIMITS.maxQueuedEvents)
      .describe(
        'Per camera: events whose evidence may wait (collected, redacted, written) at once; another is sent at once without evidence, with the reason, counted and alarmed',
      ),
    maxQueuedFrameBytes: z
      .number()
      .int()
      .min(64 * 1024 * 1024, 'must be at least 67108864 (64 MiB)')
      .max(64 * 1024 * 1024 * 1024)
      .default(DEFAULT_EVIDENCE_QUEUE_LIMITS.maxQueuedFrameBytes)
      .describe(
        'All cameras together: bytes of frames that queued evidence may hold (each frame once: unredacted, then redacted); an event that would exceed it is sent without evidence, with the reason',
      ),
    needToKnow: z.boolean().default(false).describe('Pixelate all but the zone and the offender, coarsely'),
  })
  .strict()
  .prefault({});
