/** Stream schemes ffmpeg reads for a camera. */
export const STREAM_SCHEMES = ['rtsp', 'rtsps', 'http', 'https', 'rtmp', 'srt', 'udp', 'tcp'] as const;

/**
 * Why a camera's `source.input` is not usable as written, or undefined: a stream URL must be
 * `scheme://host...` with a known scheme; "sample:<id>" names a manifest sample; anything
 * else is a file path, so a string that looks like a mistyped URL (`rtsp//host`, `rtsp:/host`,
 * `rtps://host`) is refused instead of quietly becoming a path.
 */
export function sourceInputProblem(input: string): string | undefined {
  if (input.trim() !== input) return 'has spaces at its start or end';
  if (input.startsWith('sample:')) return /^sample:[A-Za-z0-9._-]+$/.test(input) ? undefined : 'sample:<manifest id>';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(input)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme.length > 1) {
    if (scheme === 'file') return 'use a plain path, not file://';
    if (!(STREAM_SCHEMES as readonly string[]).includes(scheme))
      return `${scheme}: is not a stream scheme zebra reads (${STREAM_SCHEMES.join(', ')})`;
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s]+/.test(input)) return `a ${scheme} URL is ${scheme}://host[:port]/path`;
    return undefined;
  }
  const looksLikeUrl = new RegExp(`^(${STREAM_SCHEMES.join('|')})(:/|//)`, 'i').exec(input);
  if (looksLikeUrl) return `looks like a mistyped URL: did you mean ${looksLikeUrl[1]!.toLowerCase()}://...?`;
  if (input.includes('://')) return 'a URL needs a scheme: rtsp://host/path';
  return undefined;
}
