import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EdgeError, EdgeErrorCode } from '../errors.js';

export interface EncodedClip {
  readonly bytes: Buffer;
  readonly sha256Hex: string;
  readonly mediaType: 'video/webm';
}

const STDERR_TAIL = 1_000;

/**
 * Encodes already redacted RGB frames as a WebM (VP8) clip with ffmpeg, at `fps`.
 * Only redacted pixels ever reach this function; ffmpeg reads them from a pipe, never a file.
 */
export async function encodeClip(
  redactedFrames: readonly Buffer[],
  widthPx: number,
  heightPx: number,
  fps: number,
): Promise<EncodedClip> {
  if (redactedFrames.length === 0)
    throw new EdgeError(EdgeErrorCode.EVIDENCE_FAILED, 'a clip needs at least one frame');
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'rawvideo', '-pix_fmt', 'rgb24'];
  args.push('-s', `${widthPx}x${heightPx}`, '-r', String(fps), '-i', 'pipe:0', '-an');
  args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k', '-pix_fmt', 'yuv420p');
  args.push('-f', 'webm', 'pipe:1');
  const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-STDERR_TAIL)));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (err) =>
      reject(new EdgeError(EdgeErrorCode.EVIDENCE_FAILED, `cannot start ffmpeg: ${err.message}`, { cause: err })),
    );
    child.once('close', resolve);
  });
  child.stdin.on('error', () => undefined); // ffmpeg closing early is reported by its exit code
  const closed = exited.then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  for (const frame of redactedFrames) {
    if (child.stdin.write(frame)) continue;
    const drained = new Promise<'drained'>((r) => child.stdin.once('drain', () => r('drained')));
    if ((await Promise.race([drained, closed])) === 'closed') break;
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0)
    throw new EdgeError(EdgeErrorCode.EVIDENCE_FAILED, `clip encoding failed (ffmpeg ${code}): ${stderr.trim()}`);
  const bytes = Buffer.concat(chunks);
  return { bytes, sha256Hex: createHash('sha256').update(bytes).digest('hex'), mediaType: 'video/webm' };
}
