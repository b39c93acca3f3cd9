import type { Detection } from './detection.js';
import type { Letterbox } from './letterbox.js';

export interface YoloxDecodeOptions {
  readonly inputSizePx: number;
  readonly strides: readonly number[];
  readonly numClasses: number;
  /** Keep only these class ids. */
  readonly classIds: readonly number[];
  /** Minimum objectness x class score. */
  readonly minScore: number;
}

/**
 * Decodes YOLOX raw output [anchors, 5 + classes] (box not yet grid-decoded; objectness
 * and class scores already sigmoid) into boxes normalised to the original frame.
 */
export function decodeYolox(
  output: Float32Array,
  options: YoloxDecodeOptions,
  letterbox: Letterbox,
  frameWidthPx: number,
  frameHeightPx: number,
): Detection[] {
  const row = 5 + options.numClasses;
  const detections: Detection[] = [];
  let anchor = 0;
  for (const stride of options.strides) {
    const cells = Math.floor(options.inputSizePx / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++, anchor++) {
        const base = anchor * row;
        const objectness = output[base + 4]!;
        if (objectness < options.minScore) continue;
        for (const classId of options.classIds) {
          const score = objectness * output[base + 5 + classId]!;
          if (score < options.minScore) continue;
          const cx = (output[base]! + gx) * stride;
          const cy = (output[base + 1]! + gy) * stride;
          const w = Math.exp(output[base + 2]!) * stride;
          const h = Math.exp(output[base + 3]!) * stride;
          const toX = (px: number): number => clamp01(px / letterbox.scale / frameWidthPx);
          const toY = (px: number): number => clamp01(px / letterbox.scale / frameHeightPx);
          detections.push({
            box: { x1: toX(cx - w / 2), y1: toY(cy - h / 2), x2: toX(cx + w / 2), y2: toY(cy + h / 2) },
            score,
            classId,
          });
        }
      }
    }
  }
  return detections;
}

/** The number of anchors YOLOX produces for an input size and strides. */
export function yoloxAnchorCount(inputSizePx: number, strides: readonly number[]): number {
  return strides.reduce((sum, s) => sum + Math.floor(inputSizePx / s) ** 2, 0);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
