import { createHash } from 'node:crypto';
import sharp from 'sharp';

export interface EncodedImage {
  readonly bytes: Buffer;
  readonly sha256Hex: string;
  readonly mediaType: 'image/jpeg';
  readonly widthPx: number;
  readonly heightPx: number;
}

/** Encodes an already redacted RGB frame as JPEG and hashes it. */
export async function encodeJpeg(
  redactedRgb: Buffer,
  widthPx: number,
  heightPx: number,
  quality: number,
): Promise<EncodedImage> {
  const bytes = await sharp(redactedRgb, { raw: { width: widthPx, height: heightPx, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
  return {
    bytes,
    sha256Hex: createHash('sha256').update(bytes).digest('hex'),
    mediaType: 'image/jpeg',
    widthPx,
    heightPx,
  };
}
