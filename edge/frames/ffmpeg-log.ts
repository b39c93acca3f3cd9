/**
 * ffmpeg's stderr at `-loglevel level+info`: every line tagged with its level. The input's
 * video size is read from the header, and only warnings and errors are kept for messages (the
 * header names the input URL, credentials included). Pure.
 */
import type { VideoInfo } from './probe.js';

const QUIET_LEVELS = /\[(info|verbose|debug|trace)\] /;
const INPUT_VIDEO = /^\[info\]\s+Stream #0:\d+.*?: Video: .*?, (\d{1,5})x(\d{1,5})\b/;

/** True for a line worth keeping for an error message (a warning, an error, an untagged line). */
export function isNoteworthy(line: string): boolean {
  return line.trim() !== '' && !QUIET_LEVELS.test(line);
}

/**
 * The size of the video stream on an `Input #0` header line (`[info]   Stream #0:0: Video: h264
 * (High), yuv420p(progressive), 768x576 [SAR 1:1 DAR 4:3], 10 fps, ...`), or undefined. The
 * output's own stream lines come after the input's: take the first match only.
 */
export function inputVideoSize(line: string): VideoInfo | undefined {
  const match = INPUT_VIDEO.exec(line);
  if (!match) return undefined;
  const widthPx = Number(match[1]);
  const heightPx = Number(match[2]);
  return widthPx > 0 && heightPx > 0 ? { widthPx, heightPx } : undefined;
}
