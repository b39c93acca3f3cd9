/**
 * Camera stream URLs: the ffmpeg input options for each kind, and credentials kept out of
 * every message. Pure.
 */

/** Longest an RTSP input is analysed before decoding starts (µs). */
export const RTSP_ANALYZE_US = 1_000_000;

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
 * to open, no packet loss that corrupts frames), video only, at most 1 s of analysis before
 * the first frame (the SDP's SPS gives the size; the 5 s default delays every reconnect), and
 * a socket timeout so a connection that goes silent ends the process; HTTP(S) gets a
 * read/write timeout. Files get none.
 */
export function streamInputArgs(input: string, stallTimeoutMs: number | undefined): string[] {
  const micros = stallTimeoutMs ? String(Math.round(stallTimeoutMs * 1000)) : undefined;
  if (/^rtsps?:\/\//i.test(input)) {
    return [
      '-rtsp_transport',
      'tcp',
      '-allowed_media_types',
      'video',
      '-analyzeduration',
      String(RTSP_ANALYZE_US),
      ...(micros ? ['-timeout', micros] : []),
    ];
  }
  if (/^https?:\/\//i.test(input) && micros) return ['-rw_timeout', micros];
  return [];
}
