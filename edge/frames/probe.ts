import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import { hideCredentials } from './stream-url.js';

const execFileAsync = promisify(execFile);

export interface VideoInfo {
  readonly widthPx: number;
  readonly heightPx: number;
}

/**
 * Width and height of the first video stream, read with ffprobe. `inputArgs` go before the
 * input (a stream's transport and timeout). Messages never carry the URL's credentials.
 */
export async function probeVideo(input: string, timeoutMs = 15_000, inputArgs: string[] = []): Promise<VideoInfo> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(
      'ffprobe',
      [
        '-v',
        'error',
        ...inputArgs,
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=width,height',
        '-of',
        'csv=p=0:s=x',
        input,
      ],
      { timeout: timeoutMs },
    ));
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim() || errorMessage(err);
    // No cause: the child-process error's message carries the whole command line, URL included.
    throw new EdgeError(
      EdgeErrorCode.FRAME_SOURCE_FAILED,
      hideCredentials(`ffprobe cannot read ${input}: ${detail}`, input),
    );
  }
  const match = /^(\d+)x(\d+)/.exec(stdout.trim());
  if (!match) throw new EdgeError(EdgeErrorCode.FRAME_SOURCE_FAILED, `${hideCredentials(input)} has no video stream`);
  return { widthPx: Number(match[1]), heightPx: Number(match[2]) };
}

/** Duration (s) and frame rate of a video file, when ffprobe can tell; undefined parts otherwise. */
export async function probeTiming(input: string, timeoutMs = 15_000): Promise<{ durationS?: number; fps?: number }> {
  try {
    const { stdout } = await execFileAsync(
      'ffprobe',
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=r_frame_rate:format=duration',
        '-of',
        'json',
        input,
      ],
      { timeout: timeoutMs },
    );
    const parsed = JSON.parse(stdout) as { streams?: { r_frame_rate?: string }[]; format?: { duration?: string } };
    const [num, den] = (parsed.streams?.[0]?.r_frame_rate ?? '').split('/').map(Number);
    const fps = num && den ? num / den : undefined;
    const durationS = Number(parsed.format?.duration);
    return { durationS: Number.isFinite(durationS) && durationS > 0 ? durationS : undefined, fps };
  } catch {
    return {};
  }
}
