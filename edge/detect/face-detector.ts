import * as ort from 'onnxruntime-node';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { ManifestFile } from '../models/manifest.js';
import { nonMaxSuppression } from './detection.js';
import { createCheckedSession } from './model-metadata.js';
import { resizeToPlanarTensor } from './letterbox.js';
import { decodeUltraface } from './ultraface.js';
import type { FaceBox } from './ultraface.js';
import { MAX_FACE_WINDOWS, canvasTensor, mapCanvasFaces, packWindows } from './face-windows.js';
import type { FaceWindow } from './face-windows.js';

export interface FaceDetectorOptions {
  readonly minScore: number;
  readonly nmsIou: number;
  readonly intraOpThreads: number;
}

/** Finds faces, only so that they can be masked. It returns boxes and scores, nothing else. */
export interface FaceDetector {
  readonly model: { readonly id: string; readonly sha256: string };
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

/** UltraFace (RFB) on onnxruntime-node; the image is stretched to the model's input size. */
export class UltrafaceOnnxDetector implements FaceDetector {
  readonly model: { readonly id: string; readonly sha256: string };
  readonly inputSizePx: { readonly widthPx: number; readonly heightPx: number };
  readonly #session: ort.InferenceSession;
  readonly #widthPx: number;
  readonly #heightPx: number;
  readonly #options: FaceDetectorOptions;

  private constructor(session: ort.InferenceSession, entry: ManifestFile, options: FaceDetectorOptions) {
    this.#session = session;
    this.#options = options;
    const [, , heightPx, widthPx] = entry.spec!.inputs[0]!.shape;
    this.#widthPx = widthPx!;
    this.#heightPx = heightPx!;
    this.model = { id: entry.id, sha256: entry.sha256 };
    this.inputSizePx = { widthPx: this.#widthPx, heightPx: this.#heightPx };
  }

  /** Loads the model at `modelPath` (already hash-verified) and checks it against the manifest. */
  static async create(
    modelPath: string,
    entry: ManifestFile,
    options: FaceDetectorOptions,
  ): Promise<UltrafaceOnnxDetector> {
    const session = await createCheckedSession(modelPath, entry, options.intraOpThreads);
    return new UltrafaceOnnxDetector(session, entry, options);
  }

  async detectFaces(rgb: Buffer, widthPx: number, heightPx: number): Promise<FaceBox[]> {
    if (rgb.length !== widthPx * heightPx * 3) {
      throw new EdgeError(
        EdgeErrorCode.FRAME_INVALID,
        `image has ${rgb.length} bytes, expected ${widthPx}x${heightPx}x3`,
      );
    }
    // UltraFace's input: the frame stretched to the model size, planar RGB, (px - 127) / 128.
    const tensor = resizeToPlanarTensor(rgb, widthPx, heightPx, {
      tensorWidthPx: this.#widthPx,
      tensorHeightPx: this.#heightPx,
      resizedWidthPx: this.#widthPx,
      resizedHeightPx: this.#heightPx,
      channels: [0, 1, 2],
      offset: 127,
      scale: 1 / 128,
      padValue: 0,
    });
    return this.#nms(await this.#run(tensor));
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
    for (const canvas of packWindows(windows, widthPx, heightPx, this.#widthPx, this.#heightPx)) {
      const tensor = canvasTensor(rgb, widthPx, heightPx, canvas, this.#widthPx, this.#heightPx, ULTRAFACE_FORMAT);
      const faces = this.#nms(await this.#run(tensor));
      found.push(...mapCanvasFaces(faces, canvas, this.#widthPx, this.#heightPx, widthPx, heightPx));
    }
    return this.#nms(found);
  }

  async #run(tensor: Float32Array): Promise<FaceBox[]> {
    const input = new ort.Tensor('float32', tensor, [1, 3, this.#heightPx, this.#widthPx]);
    let scores: ort.Tensor;
    let boxes: ort.Tensor;
    try {
      const out = await this.#session.run({ input });
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
    await this.#session.release();
  }
}
