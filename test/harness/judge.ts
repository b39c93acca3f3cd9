/**
 * An independent judge of redaction, for tests only: YuNet (OpenCV Zoo), a face detector of
 * another architecture and training set than the UltraFace the product masks with. The
 * product never loads it (test/unit/edge/no-judge-in-product.test.ts): a judge the redactor
 * also used would judge nothing.
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { resizeToPlanarTensor } from '../../edge/detect/letterbox.js';
import { SHARED_DATA } from './models.js';

export const JUDGE_MODEL_PATH = join(SHARED_DATA, 'models/judge/face_detection_yunet.onnx');

/** A face the judge found, in pixels of the image it was given. */
export interface JudgedFace {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly score: number;
}

export interface JudgeOptions {
  /** Score (sqrt(cls * obj)) at or above which a face counts; OpenCV's demo uses 0.9, this is stricter on redaction. */
  readonly minScore: number;
  readonly nmsIou: number;
  /** The image is also looked at enlarged by these factors (2: faces of 8-12 px become findable). */
  readonly upscales: readonly number[];
}

export const DEFAULT_JUDGE: JudgeOptions = { minScore: 0.6, nmsIou: 0.3, upscales: [1, 2] };

const STRIDES = [8, 16, 32] as const;
/** Inputs are capped at this many pixels (a 4K frame at 2x would not fit the CI's memory). */
const MAX_INPUT_PX = 2560 * 2560;

function iouOf(a: JudgedFace, b: JudgedFace): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

function nms(faces: JudgedFace[], maxIou: number): JudgedFace[] {
  const kept: JudgedFace[] = [];
  for (const f of [...faces].sort((a, b) => b.score - a.score))
    if (kept.every((k) => iouOf(k, f) <= maxIou)) kept.push(f);
  return kept;
}

/** YuNet (2023mar format) on onnxruntime-node. */
export class YunetJudge {
  readonly #session: ort.InferenceSession;
  readonly #options: JudgeOptions;

  private constructor(session: ort.InferenceSession, options: JudgeOptions) {
    this.#session = session;
    this.#options = options;
  }

  static async create(options: JudgeOptions = DEFAULT_JUDGE): Promise<YunetJudge> {
    const session = await ort.InferenceSession.create(JUDGE_MODEL_PATH, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    return new YunetJudge(session, options);
  }

  /** Faces in packed RGB, in its pixels, merged over every upscale. */
  async faces(rgb: Uint8Array, widthPx: number, heightPx: number): Promise<JudgedFace[]> {
    const all: JudgedFace[] = [];
    for (const s of this.#options.upscales) all.push(...(await this.#at(rgb, widthPx, heightPx, s)));
    return nms(all, this.#options.nmsIou);
  }

  async #at(rgb: Uint8Array, widthPx: number, heightPx: number, scale: number): Promise<JudgedFace[]> {
    const w = Math.max(1, Math.round(widthPx * scale));
    const h = Math.max(1, Math.round(heightPx * scale));
    const padW = Math.ceil(w / 32) * 32;
    const padH = Math.ceil(h / 32) * 32;
    if (padW * padH > MAX_INPUT_PX) throw new Error(`judge input ${padW}x${padH} is too large`);
    // YuNet: planar BGR, raw 0-255, the image top-left, zero padding to multiples of 32.
    const tensor = resizeToPlanarTensor(rgb, widthPx, heightPx, {
      tensorWidthPx: padW,
      tensorHeightPx: padH,
      resizedWidthPx: w,
      resizedHeightPx: h,
      channels: [2, 1, 0],
      offset: 0,
      scale: 1,
      padValue: 0,
    });
    const out = await this.#session.run({
      [this.#session.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, 3, padH, padW]),
    });
    const faces: JudgedFace[] = [];
    const sx = widthPx / w;
    const sy = heightPx / h;
    for (const stride of STRIDES) {
      const cls = out[`cls_${stride}`]!.data as Float32Array;
      const obj = out[`obj_${stride}`]!.data as Float32Array;
      const bbox = out[`bbox_${stride}`]!.data as Float32Array;
      const cols = padW / stride;
      const rows = padH / stride;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const i = r * cols + c;
          const score = Math.sqrt(Math.min(1, Math.max(0, cls[i]!)) * Math.min(1, Math.max(0, obj[i]!)));
          if (score < this.#options.minScore) continue;
          const cx = (c + bbox[i * 4]!) * stride;
          const cy = (r + bbox[i * 4 + 1]!) * stride;
          const bw = Math.exp(bbox[i * 4 + 2]!) * stride;
          const bh = Math.exp(bbox[i * 4 + 3]!) * stride;
          const face = {
            x1: Math.max(0, (cx - bw / 2) * sx),
            y1: Math.max(0, (cy - bh / 2) * sy),
            x2: Math.min(widthPx, (cx + bw / 2) * sx),
            y2: Math.min(heightPx, (cy + bh / 2) * sy),
            score,
          };
          if (face.x2 > face.x1 && face.y2 > face.y1) faces.push(face);
        }
      }
    }
    return nms(faces, this.#options.nmsIou);
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}

/** Face size bands of the acceptance: by the geometric mean of the box's sides. */
export const SIZE_BANDS = ['<16', '16-24', '24-48', '>=48'] as const;
export type SizeBand = (typeof SIZE_BANDS)[number];

export function sizeOf(face: JudgedFace): number {
  return Math.sqrt((face.x2 - face.x1) * (face.y2 - face.y1));
}

export function bandOf(face: JudgedFace): SizeBand {
  const s = sizeOf(face);
  return s < 16 ? '<16' : s < 24 ? '16-24' : s < 48 ? '24-48' : '>=48';
}

/** Sizes of two faces at the same place differ by at most this factor. */
const MAX_SIZE_RATIO = 2;

/**
 * True when `after` is at the place of `before`: overlap of 0.3 or more, or either's centre
 * inside the other at a comparable size (within 2x). A box ten times the face's size around
 * a coarse mosaic (seen once on vtest: 89x129 px over an 11 px face) is not that face.
 */
export function samePlace(before: JudgedFace, after: JudgedFace): boolean {
  const ratio = sizeOf(after) / sizeOf(before);
  const comparable = ratio <= MAX_SIZE_RATIO && ratio >= 1 / MAX_SIZE_RATIO;
  const inside = (p: JudgedFace, q: JudgedFace): boolean => {
    const cx = (p.x1 + p.x2) / 2;
    const cy = (p.y1 + p.y2) / 2;
    return cx >= q.x1 && cx <= q.x2 && cy >= q.y1 && cy <= q.y2;
  };
  return iouOf(before, after) >= 0.3 || (comparable && (inside(before, after) || inside(after, before)));
}

/** Faces found before and still found at the same place after, by size band. */
export interface LeakTally {
  readonly before: Record<SizeBand, number>;
  readonly leaked: Record<SizeBand, number>;
}

export function emptyTally(): LeakTally {
  const zero = (): Record<SizeBand, number> => ({ '<16': 0, '16-24': 0, '24-48': 0, '>=48': 0 });
  return { before: zero(), leaked: zero() };
}

/** Adds one image's faces to `tally`; returns the faces that leaked. */
export function tallyLeaks(
  tally: LeakTally,
  before: readonly JudgedFace[],
  after: readonly JudgedFace[],
): JudgedFace[] {
  const leaks: JudgedFace[] = [];
  for (const face of before) {
    const band = bandOf(face);
    tally.before[band] += 1;
    if (after.some((a) => samePlace(face, a))) {
      tally.leaked[band] += 1;
      leaks.push(face);
    }
  }
  return leaks;
}

export function formatTally(name: string, t: LeakTally): string {
  const cells = SIZE_BANDS.map((b) => `${b}: ${t.leaked[b]}/${t.before[b]}`).join('  ');
  return `${name.padEnd(34)} leaked/found by band  ${cells}`;
}
