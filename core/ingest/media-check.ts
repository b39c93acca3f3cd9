import type { InfractionEvent } from '../../proto/index.js';
import { ALLOWED_MEDIA_TYPES_TEXT, allowedMediaType } from '../evidence/media-types.js';

export type MediaCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Every evidence object of the event names an allowlisted media type. Pure. */
export function checkEvidenceMediaTypes(event: InfractionEvent): MediaCheck {
  const bad = event.evidence.find((ref) => allowedMediaType(ref.mediaType) === undefined);
  if (!bad) return { ok: true };
  return {
    ok: false,
    reason: `evidence ${bad.objectKey.slice(0, 200)} names media type "${bad.mediaType.slice(0, 80)}"; only ${ALLOWED_MEDIA_TYPES_TEXT} are accepted`,
  };
}
