import type { NormBox } from '../detect/detection.js';

/**
 * The region that holds the head of a standing person: the top of the box, widened a
 * little. Used as the fallback mask for faces the face detector misses.
 */
export function headRegion(person: NormBox): NormBox {
  const w = person.x2 - person.x1;
  const h = person.y2 - person.y1;
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  return {
    x1: clamp(person.x1 - 0.1 * w),
    y1: clamp(person.y1 - 0.05 * h),
    x2: clamp(person.x2 + 0.1 * w),
    y2: clamp(person.y1 + 0.3 * h),
  };
}
