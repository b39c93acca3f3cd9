import { createHash } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { EvidenceMediaType } from '../evidence/media-types.js';
import { EVIDENCE_MEDIA_TYPES } from '../evidence/media-types.js';

/**
 * On every response (JSON, metrics, health, errors): nothing in it may load or run anything,
 * no browser may sniff it into another type, no other origin may frame it, and no URL (an
 * evidence ticket) leaks in a Referer.
 */
export const BASE_HEADERS: OutgoingHttpHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cross-origin-resource-policy': 'same-origin',
};

/** SHA-256 CSP sources of the inline <style> blocks of a page. */
function styleHashes(html: string): string[] {
  return [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`,
  );
}

/**
 * The console page: its script only from this origin (no inline script, no eval), its inline
 * style only by hash, evidence only through blob: URLs the console made from fetches that
 * carried the user's token, requests only to this origin, and never inside a frame.
 */
export function consoleHeaders(html: string): OutgoingHttpHeaders {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${styleHashes(html).join(' ') || "'none'"}`,
    'img-src blob:',
    'media-src blob:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    ...BASE_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'content-security-policy': csp,
    'cross-origin-opener-policy': 'same-origin',
  };
}

/** A file name with nothing a header or a file system could misread. */
function safeFileName(objectKey: string, mediaType: EvidenceMediaType): string {
  const last = objectKey.split('/').at(-1) ?? '';
  const stem =
    last
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 64) || 'evidence';
  return `${stem}.${EVIDENCE_MEDIA_TYPES[mediaType].extension}`;
}

/**
 * One evidence object: served as its allowlisted type only, never sniffed, sandboxed (were it
 * opened directly, no script runs and it has no origin), not kept in any cache, not readable
 * by another origin.
 */
export function evidenceHeaders(
  objectKey: string,
  mediaType: EvidenceMediaType,
  sizeBytes: number,
): OutgoingHttpHeaders {
  return {
    ...BASE_HEADERS,
    'content-type': mediaType,
    'content-length': sizeBytes,
    'content-disposition': `inline; filename="${safeFileName(objectKey, mediaType)}"`,
    'content-security-policy': "default-src 'none'; sandbox; frame-ancestors 'none'",
    'cache-control': 'no-store',
  };
}
