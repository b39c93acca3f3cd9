/** A box in normalised [0,1] image coordinates. */
export interface NormBox {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

/** One detected object. */
export interface Detection {
  readonly box: NormBox;
  readonly score: number;
  /** COCO class id; 0 is person. */
  readonly classId: number;
}

/** Finds objects in one RGB frame. Implementations load their model once. */
export interface Detector {
  /** The model id and SHA-256, for the event's model references. */
  readonly model: { readonly id: string; readonly sha256: string };
  detect(rgb: Buffer, widthPx: number, heightPx: number): Promise<Detection[]>;
  dispose(): Promise<void>;
}

/** Intersection over union of two boxes; 0 when either is empty. */
export function iou(a: NormBox, b: NormBox): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression: keeps the best box of every group overlapping by more than `maxIou`. */
export function nonMaxSuppression(detections: readonly Detection[], maxIou: number): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    if (kept.every((k) => k.classId !== candidate.classId || iou(k.box, candidate.box) <= maxIou)) kept.push(candidate);
  }
  return kept;
}
