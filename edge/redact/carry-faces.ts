import type { NormBox } from '../detect/detection.js';
import { iou } from '../detect/detection.js';
import { clampBox } from './face-plan.js';

/** A face found on an earlier frame, carried to the frames after it (no identity, only boxes). */
export interface CarriedFace {
  /** Where the face is now: as found, or moved with its person box. */
  readonly box: NormBox;
  /** The person box the face was inside, followed frame to frame by overlap; absent: none. */
  readonly anchor?: NormBox;
  /** Frames since the face was last followed or found; grows while there is no person to follow. */
  readonly framesAdrift: number;
  /** Frames since a search found it. */
  readonly age: number;
}

/** A person box in the next frame continues the anchor when they overlap at least this much. */
const FOLLOW_IOU = 0.3;
/** A face with no person to follow grows by this fraction of its size per side, per frame. */
const GROW_PER_FRAME = 0.5;
/** Every carried face is widened by this fraction of its size per side (box jitter). */
const JITTER = 0.15;

function contains(outer: NormBox, box: NormBox): boolean {
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  return cx >= outer.x1 && cx <= outer.x2 && cy >= outer.y1 && cy <= outer.y2;
}

/** Faces found on a frame, each anchored to the smallest person box holding its centre. Pure. */
export function anchorFaces(faces: readonly NormBox[], persons: readonly NormBox[]): CarriedFace[] {
  const area = (b: NormBox): number => (b.x2 - b.x1) * (b.y2 - b.y1);
  return faces.map((box) => {
    const anchor = persons.filter((p) => contains(p, box)).sort((a, b) => area(a) - area(b))[0];
    return anchor ? { box, anchor, framesAdrift: 0, age: 0 } : { box, framesAdrift: 0, age: 0 };
  });
}

/**
 * Moves carried faces one frame on: a face whose person box continues (best overlap with a
 * box of the next frame) moves and scales with it; any other stays and its mask grows on
 * every side frame by frame, so a face that walks on is still covered until a search finds
 * it again. Pure.
 */
export function carryFaces(faces: readonly CarriedFace[], nextPersons: readonly NormBox[]): CarriedFace[] {
  return faces.map((face) => {
    const anchor = face.anchor;
    const next = anchor
      ? nextPersons
          .map((p) => ({ p, overlap: iou(anchor, p) }))
          .filter((c) => c.overlap >= FOLLOW_IOU)
          .sort((a, b) => b.overlap - a.overlap)[0]?.p
      : undefined;
    if (!anchor || !next) return { box: face.box, framesAdrift: face.framesAdrift + 1, age: face.age + 1 };
    const sx = (next.x2 - next.x1) / Math.max(1e-9, anchor.x2 - anchor.x1);
    const sy = (next.y2 - next.y1) / Math.max(1e-9, anchor.y2 - anchor.y1);
    const box = clampBox({
      x1: next.x1 + (face.box.x1 - anchor.x1) * sx,
      y1: next.y1 + (face.box.y1 - anchor.y1) * sy,
      x2: next.x1 + (face.box.x2 - anchor.x1) * sx,
      y2: next.y1 + (face.box.y2 - anchor.y1) * sy,
    });
    return { box, anchor: next, framesAdrift: face.framesAdrift, age: face.age + 1 };
  });
}

/** The region a carried face masks: its box, widened for jitter and for every frame adrift. Pure. */
export function carriedMask(face: CarriedFace): NormBox {
  const { box } = face;
  const d = Math.max(box.x2 - box.x1, box.y2 - box.y1) * (JITTER + GROW_PER_FRAME * face.framesAdrift);
  return clampBox({ x1: box.x1 - d, y1: box.y1 - d, x2: box.x2 + d, y2: box.y2 + d });
}

/**
 * After a search: the faces it found, plus the carried faces younger than `maxAge` frames that
 * no new face replaces (a detector that misses a face once does not unmask it). Pure.
 */
export function mergeCarried(
  found: readonly CarriedFace[],
  carried: readonly CarriedFace[],
  maxAge: number,
): CarriedFace[] {
  const kept = carried.filter(
    (c) => c.age < maxAge && !found.some((f) => iou(carriedMask(c), f.box) > 0 && contains(carriedMask(c), f.box)),
  );
  return [...found, ...kept];
}
