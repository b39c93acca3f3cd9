import type { NormBox } from '../detect/detection.js';
import { iou } from '../detect/detection.js';

/** Boxes overlapping more than this are the same person (a track's box and its own detection). */
const SAME_BOX_IOU = 0.8;

/**
 * The person boxes to mask in frame `i` of a sequence: its own and its neighbours' person
 * boxes (detections and track boxes, predicted where the detector missed), so a mask follows
 * each track through frames where the detector lost the person. Near-identical boxes mask once.
 */
export function carriedMasks(frames: readonly { readonly maskBoxes: readonly NormBox[] }[], i: number): NormBox[] {
  const all = [frames[i], frames[i - 1], frames[i + 1]].flatMap((f) => (f ? [...f.maskBoxes] : []));
  const kept: NormBox[] = [];
  for (const box of all) if (!kept.some((k) => iou(k, box) > SAME_BOX_IOU)) kept.push(box);
  return kept;
}
