import type { NormBox } from './detection.js';

/** A face found by UltraFace, in normalised coordinates of the image it ran on. */
export interface FaceBox {
  readonly box: NormBox;
  readonly score: number;
}

/**
 * Decodes UltraFace outputs: scores [n,2] (softmaxed: background, face) and boxes [n,4]
 * (x1,y1,x2,y2, normalised). Keeps faces at or above `minScore`, boxes clamped to [0,1]. Pure.
 */
export function decodeUltraface(scores: Float32Array, boxes: Float32Array, minScore: number): FaceBox[] {
  const faces: FaceBox[] = [];
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  for (let i = 0; i < scores.length / 2; i++) {
    const score = scores[i * 2 + 1]!;
    if (score < minScore) continue;
    const box = {
      x1: clamp(boxes[i * 4]!),
      y1: clamp(boxes[i * 4 + 1]!),
      x2: clamp(boxes[i * 4 + 2]!),
      y2: clamp(boxes[i * 4 + 3]!),
    };
    if (box.x2 > box.x1 && box.y2 > box.y1) faces.push({ box, score });
  }
  return faces;
}
