/**
 * The only media types evidence may have: what the edge produces (edge/evidence/keyframe.ts
 * and clip.ts). Anything else — text/html above all — could run script if a browser rendered
 * it from the console's origin, so it is refused at ingest and never served.
 */
export const EVIDENCE_MEDIA_TYPES = {
  'image/jpeg': { extension: 'jpg' },
  'video/webm': { extension: 'webm' },
} as const;

export type EvidenceMediaType = keyof typeof EVIDENCE_MEDIA_TYPES;

/** The allowlisted type equal to `mediaType` (exactly, as the device signed it), or undefined. */
export function allowedMediaType(mediaType: string): EvidenceMediaType | undefined {
  return Object.hasOwn(EVIDENCE_MEDIA_TYPES, mediaType) ? (mediaType as EvidenceMediaType) : undefined;
}

/** "image/jpeg, video/webm": for messages. */
export const ALLOWED_MEDIA_TYPES_TEXT = Object.keys(EVIDENCE_MEDIA_TYPES).join(', ');
