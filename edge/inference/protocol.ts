import type { Detection } from '../detect/detection.js';
import type { YoloxDetectorOptions } from '../detect/onnx-detector.js';
import type { FaceDetectorOptions } from '../detect/face-detector.js';
import type { FaceBox } from '../detect/ultraface.js';
import type { FaceWindow } from '../detect/face-windows.js';
import type { ManifestFile } from '../models/manifest.js';

/** What the inference worker loads once at start. Paths are hash-verified model files. */
export interface InferenceWorkerInit {
  readonly persons: { readonly path: string; readonly entry: ManifestFile; readonly options: YoloxDetectorOptions };
  readonly faces?: {
    readonly path: string;
    readonly entry: ManifestFile;
    readonly options: FaceDetectorOptions;
    /** A smaller input of the same family for windows that fit it (see UltrafaceOnnxDetector). */
    readonly small?: { readonly path: string; readonly entry: ManifestFile };
  };
  /**
   * Nice value for this thread (Linux nice values are per thread). Face threads run at a
   * lower priority, so evidence redaction takes spare CPU and never slows live detection.
   */
  readonly niceness?: number;
}

export type InferenceKind = 'persons' | 'faces';

export interface InferenceRequest {
  readonly id: number;
  readonly kind: InferenceKind;
  readonly rgb: Uint8Array;
  readonly widthPx: number;
  readonly heightPx: number;
  /** Faces only: look in these windows (see FaceDetector.detectFacesIn); absent: the whole frame. */
  readonly windows?: readonly FaceWindow[];
}

/** The worker's answer: detections (persons), face boxes (faces), or the error's code and message. */
export type InferenceReply =
  | { readonly id: number; readonly persons: Detection[]; readonly inferMs: number }
  | { readonly id: number; readonly faces: FaceBox[]; readonly inferMs: number }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

export type WorkerStartup =
  | {
      readonly ready: true;
      /** The thread's id in the OS (Linux: /proc/self/task/<id>), for per-thread CPU figures; absent elsewhere. */
      readonly osThreadId?: number;
    }
  | { readonly ready: false; readonly code: string; readonly message: string };
