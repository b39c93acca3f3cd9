import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { OutputInfo } from 'sharp';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { Frame, FrameSource } from './frame.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp']);

export interface FolderSourceOptions {
  readonly cameraId: string;
  readonly folder: string;
  /** Images are stamped this far apart, in name order, from `startAtMs`. */
  readonly fps: number;
  readonly startAtMs: number;
  /** Called for each image that cannot be decoded; it is skipped. */
  readonly onSkip?: (path: string, reason: string) => void;
}

/** The image files of a folder, in name order. */
export async function listImages(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.FRAME_SOURCE_FAILED, `cannot read folder ${folder}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return names
    .filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort()
    .map((n) => join(folder, n));
}

/** Frames from a folder of images (a technician's stills, a camera's snapshot dump). */
export class ImageFolderSource implements FrameSource {
  readonly #options: FolderSourceOptions;
  #closed = false;

  constructor(options: FolderSourceOptions) {
    this.#options = options;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Frame> {
    const { cameraId, folder, fps, startAtMs, onSkip } = this.#options;
    const files = await listImages(folder);
    let index = 0;
    for (let i = 0; i < files.length && !this.#closed; i++) {
      let decoded: { data: Buffer; info: OutputInfo };
      try {
        decoded = await sharp(files[i]).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      } catch (err) {
        onSkip?.(files[i]!, errorMessage(err));
        continue;
      }
      const { data, info } = decoded;
      yield {
        cameraId,
        index: index++,
        capturedAtMs: startAtMs + Math.round((i * 1000) / fps),
        widthPx: info.width,
        heightPx: info.height,
        rgb: data,
      };
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
