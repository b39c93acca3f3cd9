import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeError, EdgeErrorCode } from '../errors.js';
import { VideoFileWriter } from './video-writer.js';

export interface EncodedClip {
  readonly bytes: Buffer;
  readonly sha256Hex: string;
  readonly mediaType: 'video/webm';
}

/**
 * Encodes already redacted RGB frames as a WebM (VP8) clip at `fps`. Only redacted pixels
 * ever reach this function; the scratch file is removed before it returns.
 */
export async function encodeClip(
  redactedFrames: readonly Buffer[],
  widthPx: number,
  heightPx: number,
  fps: number,
): Promise<EncodedClip> {
  if (redactedFrames.length === 0)
    throw new EdgeError(EdgeErrorCode.EVIDENCE_FAILED, 'a clip needs at least one frame');
  const dir = await mkdtemp(join(tmpdir(), 'zebra-clip-'));
  try {
    const path = join(dir, 'clip.webm');
    const writer = new VideoFileWriter(path, widthPx, heightPx, fps);
    for (const frame of redactedFrames) await writer.write(frame);
    await writer.finish();
    const bytes = await readFile(path);
    return { bytes, sha256Hex: createHash('sha256').update(bytes).digest('hex'), mediaType: 'video/webm' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
