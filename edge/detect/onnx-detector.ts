import * as ort from 'onnxruntime-node';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { ManifestFile } from '../models/manifest.js';
import { nonMaxSuppression } from './detection.js';
import type { Detection, Detector } from './detection.js';
import { fitLetterbox, letterboxBgrTensor } from './letterbox.js';
import { createCheckedSession } from './model-metadata.js';
import { decodeYolox, yoloxAnchorCount } from './yolox.js';

export interface YoloxDetectorOptions {
  /** Minimum objectness x class score. */
  readonly minScore: number;
  /** NMS overlap above which the weaker box is dropped. */
  readonly nmsIou: number;
  /** Boxes smaller than this fraction of the frame height are dropped. */
  readonly minBoxHeight: number;
  /** Class ids to keep; person is 0. */
  readonly classIds: readonly number[];
  readonly intraOpThreads: number;
}

const PAD_VALUE = 114;
const STRIDES = [8, 16, 32] as const;
const NUM_CLASSES = 80;

/** The input size, after checking that the manifest's anchors fit YOLOX's strides. */
function inputSizeOf(entry: ManifestFile): number {
  const inputSizePx = entry.spec!.inputs[0]!.shape[3]!;
  const anchors = entry.spec!.outputs[0]!.shape[1];
  if (anchors !== yoloxAnchorCount(inputSizePx, STRIDES)) {
    throw new EdgeError(
      EdgeErrorCode.MODEL_METADATA_MISMATCH,
      `${entry.id}: ${anchors} anchors do not fit strides 8/16/32`,
    );
  }
  return inputSizePx;
}

/** YOLOX-nano on onnxruntime-node (CPU). The session is created once and checked against the manifest. */
export class YoloxOnnxDetector implements Detector {
  readonly model: { readonly id: string; readonly sha256: string };
  readonly #session: ort.InferenceSession;
  readonly #inputSizePx: number;
  readonly #options: YoloxDetectorOptions;

  private constructor(
    session: ort.InferenceSession,
    entry: ManifestFile,
    inputSizePx: number,
    options: YoloxDetectorOptions,
  ) {
    this.#session = session;
    this.#inputSizePx = inputSizePx;
    this.#options = options;
    this.model = { id: entry.id, sha256: entry.sha256 };
  }

  /** Loads the model at `modelPath` (already hash-verified) and runs one warm-up inference. */
  static async create(
    modelPath: string,
    entry: ManifestFile,
    options: YoloxDetectorOptions,
  ): Promise<YoloxOnnxDetector> {
    const session = await createCheckedSession(modelPath, entry, options.intraOpThreads);
    const inputSizePx = inputSizeOf(entry);
    const detector = new YoloxOnnxDetector(session, entry, inputSizePx, options);
    await detector.detect(Buffer.alloc(64 * 48 * 3), 64, 48);
    return detector;
  }

  async detect(rgb: Buffer, widthPx: number, heightPx: number): Promise<Detection[]> {
    if (rgb.length !== widthPx * heightPx * 3) {
      throw new EdgeError(
        EdgeErrorCode.FRAME_INVALID,
        `frame has ${rgb.length} bytes, expected ${widthPx}x${heightPx}x3`,
      );
    }
    const size = this.#inputSizePx;
    const box = fitLetterbox(widthPx, heightPx, size);
    const tensor = letterboxBgrTensor(rgb, widthPx, heightPx, box, size, PAD_VALUE);
    const input = new ort.Tensor('float32', tensor, [1, 3, size, size]);
    let output: ort.Tensor;
    try {
      const result = await this.#session.run({ [this.#session.inputNames[0]!]: input });
      output = result[this.#session.outputNames[0]!]!;
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.DETECTOR_FAILED, `inference failed: ${errorMessage(err)}`, { cause: err });
    }
    const { minScore, nmsIou, minBoxHeight, classIds } = this.#options;
    const decoded = decodeYolox(
      output.data as Float32Array,
      { inputSizePx: size, strides: STRIDES, numClasses: NUM_CLASSES, classIds, minScore },
      box,
      widthPx,
      heightPx,
    );
    return nonMaxSuppression(
      decoded.filter((d) => d.box.y2 - d.box.y1 >= minBoxHeight),
      nmsIou,
    );
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}
