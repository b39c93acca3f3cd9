/**
 * Camera stream URLs: the ffmpeg input options for each kind, and credentials kept out of
 * every message. Pure.
 */

/**
 * Longest ffmpeg analyses an RTSP input before decoding starts (µs). The size comes from the
 * SPS (in the SDP or before the first key frame); analysis beyond that only estimates the frame
 * rate, which the fps filter does not need, and would delay every reconnect (1 s cost ~0.9 s more
 * than this on a loopback camera; ffmpeg's default is 5 s).
 */
export const RTSP_ANALYZE_US = 100_000;
/** Analysis for ffprobe's size reading on a first open: not on the reconnect path, so generous. */
export const RTSP_PROBE_ANALYZE_US = 1_000_000;

const SCHEME_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s?#@]*(?:@[^/\s?#@]*)*@/gi;

/** The placeholder that stands where a URL's user and password were. */
export const HIDDEN_CREDENTIALS = '***';

/** True for inputs that name a live stream rather than a file or a folder. */
export function isStreamUrl(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input) && !input.startsWith('file://');
}

/** The user and password of a URL, decoded and raw, when it has any (for scrubbing). */
function secretsOf(url: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/\s?#]*)@/i.exec(url);
  if (!match) return [];
  const userinfo = match[1]!;
  const colon = userinfo.indexOf(':');
  const parts = colon === -1 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  const secrets = [userinfo, ...parts];
  for (const part of parts) {
    try {
      secrets.push(decodeURIComponent(part));
    } catch {
      // A malformed escape: the raw form is scrubbed already.
    }
  }
  // Longest first, so a password that contains the user name is replaced whole. Very short
  // parts (a user "a") would scrub unrelated text; the URL form is scrubbed by pattern anyway.
  return [...new Set(secrets)].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

/**
 * `text` with the user and password of every URL in it replaced by `***`, and every
 * occurrence of `input`'s own user and password (raw or decoded) too, wherever they appear
 * (ffmpeg may print them outside the URL). Use on every message that may carry a camera URL.
 */
export function hideCredentials(text: string, input?: string): string {
  let out = text.replace(SCHEME_USERINFO, `$1${HIDDEN_CREDENTIALS}@`);
  for (const secret of input ? secretsOf(input) : []) out = out.split(secret).join(HIDDEN_CREDENTIALS);
  return out;
}

/**
 * ffmpeg (and ffprobe) input options for a stream: RTSP over TCP (interleaved: no UDP ports
 * to open, no packet loss that corrupts frames), video only, bounded analysis before the first
 * frame (`analyzeUs`, RTSP_ANALYZE_US by default; the 5 s default delays every reconnect), and
 * a socket timeout so a connection that goes silent ends the process; HTTP(S) gets a
 * read/write timeout. Files get none.
 */
export function streamInputArgs(
  input: string,
  stallTimeoutMs: number | undefined,
  analyzeUs: number = RTSP_ANALYZE_US,
): string[] {
  const micros = stallTimeoutMs ? String(Math.round(stallTimeoutMs * 1000)) : undefined;
  if (/^rtsps?:\/\//i.test(input)) {
    return [
      '-rtsp_transport',
      'tcp',
      '-allowed_media_types',
      'video',
      '-analyzeduration',
      String(analyzeUs),
      ...(micros ? ['-timeout', micros] : []),
    ];
  }
  if (/^https?:\/\//i.test(input) && micros) return ['-rw_timeout', micros];
  return [];
}
