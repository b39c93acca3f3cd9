import * as ort from 'onnxruntime-node';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { ManifestFile } from '../models/manifest.js';
import { nonMaxSuppression } from './detection.js';
import { createCheckedSession } from './model-metadata.js';
import { resizeToPlanarTensor } from './letterbox.js';
import { decodeUltraface } from './ultraface.js';
import type { FaceBox } from './ultraface.js';
import { MAX_FACE_WINDOWS, canvasTensor, mapCanvasFaces, packWindowsTwoSizes } from './face-windows.js';
import type { FaceWindow } from './face-windows.js';

export interface FaceDetectorOptions {
  readonly minScore: number;
  readonly nmsIou: number;
  readonly intraOpThreads: number;
}

/** Finds faces, only so that they can be masked. It returns boxes and scores, nothing else. */
export interface FaceDetector {
  readonly model: { readonly id: string; readonly sha256: string };
  /** A smaller input of the same model family that windows which fit it are searched on (cheaper); absent: none. */
  readonly smallModel?: { readonly id: string; readonly sha256: string };
  /** The model's input size: one canvas of {@link detectFacesIn}. */
  readonly inputSizePx: { readonly widthPx: number; readonly heightPx: number };
  detectFaces(rgb: Buffer, widthPx: number, heightPx: number): Promise<FaceBox[]>;
  /**
   * Looks for faces only in `windows`, each enlarged by its scale; windows are packed side by
   * side onto as few model inputs as fit. Faces come back in frame coordinates, merged by NMS.
   */
  detectFacesIn(rgb: Buffer, widthPx: number, heightPx: number, windows: readonly FaceWindow[]): Promise<FaceBox[]>;
  dispose(): Promise<void>;
}

/** UltraFace's input format: planar RGB, (px - 127) / 128; padding is mid grey. */
const ULTRAFACE_FORMAT = { channels: [0, 1, 2], offset: 127, scale: 1 / 128, padValue: 0 } as const;

/** UltraFace's input for a whole image: stretched to the model's `widthPx` x `heightPx`. Pure. */
export function ultrafaceTensor(
  rgb: Uint8Array,
  imageW: number,
  imageH: number,
  widthPx: number,
  heightPx: number,
): Float32Array {
  return resizeToPlanarTensor(rgb, imageW, imageH, {
    ...ULTRAFACE_FORMAT,
    tensorWidthPx: widthPx,
    tensorHeightPx: heightPx,
    resizedWidthPx: widthPx,
    resizedHeightPx: heightPx,
  });
}

/**
 * What one small canvas costs in large ones, for choosing between packings. With the weights
 * loaded as constants a small canvas (UltraFace-320, drawing included) cost 0.27-0.34 of a
 * large one inside the pipeline (0.21 alone); on vtest.avi's evidence 0.25 and 0.35 here gave
 * the same face-thread time within 1% (`npm run bench:edge`), so the value rounded up stays:
 * a packing moves to small canvases only where it clearly saves.
 */
const SMALL_CANVAS_COST = 0.35;

/** One loaded UltraFace session and its input size. */
interface Session {
  readonly session: ort.InferenceSession;
  readonly widthPx: number;
  readonly heightPx: number;
}

function sessionOf(session: ort.InferenceSession, entry: ManifestFile): Session {
  const [, , heightPx, widthPx] = entry.spec!.inputs[0]!.shape;
  return { session, widthPx: widthPx!, heightPx: heightPx! };
}

/** A model file to load: its verified path and manifest entry. */
export interface FaceModelFile {
  readonly path: string;
  readonly entry: ManifestFile;
}

/**
 * UltraFace (RFB) on onnxruntime-node; the image is stretched to the model's input size.
 * With a small model (UltraFace-320 beside 640), windows that fit its input are searched there.
 */
export class UltrafaceOnnxDetector implements FaceDetector {
  readonly model: { readonly id: string; readonly sha256: string };
  readonly smallModel?: { readonly id: string; readonly sha256: string };
  readonly inputSizePx: { readonly widthPx: number; readonly heightPx: number };
  readonly #large: Session;
  readonly #small: Session | undefined;
  readonly #widthPx: number;
  readonly #heightPx: number;
  readonly #options: FaceDetectorOptions;

  private constructor(
    large: Session,
    entry: ManifestFile,
    options: FaceDetectorOptions,
    small?: { session: Session; entry: ManifestFile },
  ) {
    this.#large = large;
    this.#small = small?.session;
    this.#options = options;
    this.#widthPx = large.widthPx;
    this.#heightPx = large.heightPx;
    this.model = { id: entry.id, sha256: entry.sha256 };
    if (small) this.smallModel = { id: small.entry.id, sha256: small.entry.sha256 };
    this.inputSizePx = { widthPx: this.#widthPx, heightPx: this.#heightPx };
  }

  /**
   * Loads the model at `modelPath` (already hash-verified) and checks it against the manifest;
   * `small`, when given, must take a smaller input than the model.
   */
  static async create(
    modelPath: string,
    entry: ManifestFile,
    options: FaceDetectorOptions,
    small?: FaceModelFile,
  ): Promise<UltrafaceOnnxDetector> {
    const large = sessionOf(await createCheckedSession(modelPath, entry, options.intraOpThreads), entry);
    if (!small) return new UltrafaceOnnxDetector(large, entry, options);
    const smallSession = sessionOf(
      await createCheckedSession(small.path, small.entry, options.intraOpThreads),
      small.entry,
    );
    if (smallSession.widthPx >= large.widthPx || smallSession.heightPx >= large.heightPx) {
      await Promise.all([large.session.release(), smallSession.session.release()]);
      throw new EdgeError(
        EdgeErrorCode.CONFIG_INVALID,
        `redaction.smallFaceModel: ${small.entry.id} (${smallSession.widthPx}x${smallSession.heightPx}) is not smaller than ${entry.id}`,
      );
    }
    return new UltrafaceOnnxDetector(large, entry, options, { session: smallSession, entry: small.entry });
  }

  async detectFaces(rgb: Buffer, widthPx: number, heightPx: number): Promise<FaceBox[]> {
    if (rgb.length !== widthPx * heightPx * 3) {
      throw new EdgeError(
        EdgeErrorCode.FRAME_INVALID,
        `image has ${rgb.length} bytes, expected ${widthPx}x${heightPx}x3`,
      );
    }
    const tensor = ultrafaceTensor(rgb, widthPx, heightPx, this.#widthPx, this.#heightPx);
    return this.#nms(await this.#run(this.#large, tensor));
  }

  async detectFacesIn(
    rgb: Buffer,
    widthPx: number,
    heightPx: number,
    windows: readonly FaceWindow[],
  ): Promise<FaceBox[]> {
    if (rgb.length !== widthPx * heightPx * 3) {
      throw new EdgeError(
        EdgeErrorCode.FRAME_INVALID,
        `image has ${rgb.length} bytes, expected ${widthPx}x${heightPx}x3`,
      );
    }
    if (windows.length > MAX_FACE_WINDOWS)
      throw new EdgeError(EdgeErrorCode.FRAME_INVALID, `${windows.length} face windows, at most ${MAX_FACE_WINDOWS}`);
    const found: FaceBox[] = [];
    const large = this.#large;
    const small = this.#small ?? large;
    const canvases = packWindowsTwoSizes(windows, widthPx, heightPx, large, small, this.#small ? SMALL_CANVAS_COST : 1);
    for (const canvas of canvases) {
      const on = canvas.size === 'small' ? small : large;
      const tensor = canvasTensor(rgb, widthPx, heightPx, canvas, on.widthPx, on.heightPx, ULTRAFACE_FORMAT);
      const faces = this.#nms(await this.#run(on, tensor));
      found.push(...mapCanvasFaces(faces, canvas, on.widthPx, on.heightPx, widthPx, heightPx));
    }
    return this.#nms(found);
  }

  async #run(on: Session, tensor: Float32Array): Promise<FaceBox[]> {
    const input = new ort.Tensor('float32', tensor, [1, 3, on.heightPx, on.widthPx]);
    let scores: ort.Tensor;
    let boxes: ort.Tensor;
    try {
      const out = await on.session.run({ input });
      scores = out.scores!;
      boxes = out.boxes!;
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.DETECTOR_FAILED, `face detection failed: ${errorMessage(err)}`, { cause: err });
    }
    return decodeUltraface(scores.data as Float32Array, boxes.data as Float32Array, this.#options.minScore);
  }

  #nms(faces: readonly FaceBox[]): FaceBox[] {
    return nonMaxSuppression(
      faces.map((f) => ({ ...f, classId: 0 })),
      this.#options.nmsIou,
    ).map(({ box, score }) => ({ box, score }));
  }

  async dispose(): Promise<void> {
    await this.#large.session.release();
    await this.#small?.session.release();
  }
}
