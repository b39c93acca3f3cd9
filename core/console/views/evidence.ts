/// <reference lib="dom" />
import { call, evidenceObjectUrl } from '../api.js';
import { h } from '../dom.js';
import { SIGNAL_STATE_LABEL, evidenceRoleLabel, plural, redactionMethodLabel } from '../labels.js';
import { clockMs, dateTimeMs, offsetSeconds } from '../time.js';
import type { EvidenceRef, InfractionEvent } from '../../../proto/gen/zebra/v1/event.js';
import { OpenEvidenceRequest, OpenEvidenceResponse } from '../../../proto/gen/zebra/v1/review_service.js';
import type { EvidenceLink } from '../../../proto/gen/zebra/v1/review_service.js';
import { framedClip, framedEvidence } from './overlay.js';

/** An evidence object's key: its role and content hash, as both the event and a link name it. */
const keyOf = (x: { role: string; sha256Hex: string }): string => `${x.role}\n${x.sha256Hex}`;

/** Each link with the event's record of the same object, paired by key, never by position. */
export function pairLinks(
  evidence: readonly EvidenceRef[],
  links: readonly EvidenceLink[],
): { ref: EvidenceRef; link: EvidenceLink }[] {
  const byKey = new Map(evidence.map((e) => [keyOf(e), e]));
  return links.flatMap((link) => {
    const ref = byKey.get(keyOf(link));
    return ref ? [{ ref, link }] : [];
  });
}

/** What is written on a frame: time, place and the signal at that moment. */
export function stampFor(event: InfractionEvent): (atMs: number) => string {
  const s = event.signal;
  return (atMs) =>
    `${clockMs(atMs)} UTC · ${event.siteId} camera ${event.cameraId}${s ? ` · ${SIGNAL_STATE_LABEL[s.state]} ${offsetSeconds(atMs - s.stateBeganAtMs)}` : ''}`;
}

function caption(ref: EvidenceRef, entryAtMs: number): string {
  const r = ref.redaction;
  const redaction = r
    ? `${redactionMethodLabel(r.method)} on the device: ${plural(r.facesFound, 'face')} found, ${plural(r.headsMasked, 'head region')} masked`
    : 'no redaction record for this frame';
  return `${evidenceRoleLabel(ref.role)} · ${clockMs(ref.frameCapturedAtMs)} UTC (${offsetSeconds(ref.frameCapturedAtMs - entryAtMs)} from the entry) · ${redaction}`;
}

export interface OpenedEvidence {
  readonly figures: HTMLElement[];
  readonly video?: HTMLVideoElement;
  /** One clip frame's length, for stepping. */
  readonly frameMs: number;
  readonly objectUrls: string[];
  /** Links the server gave that the event does not list (never shown). */
  readonly unmatched: number;
}

/**
 * Opens the evidence for a purpose (the server audits the read), fetches each object with the
 * caller's token, and lays the frames out in time order with their overlays and captions.
 */
export async function openEvidence(event: InfractionEvent, itemId: string, purpose: string): Promise<OpenedEvidence> {
  const { links } = await call(
    'ReviewService/OpenEvidence',
    OpenEvidenceRequest,
    OpenEvidenceResponse,
    OpenEvidenceRequest.fromPartial({ eventId: itemId, purpose }),
  );
  const paired = pairLinks(event.evidence, links).sort((a, b) => a.ref.frameCapturedAtMs - b.ref.frameCapturedAtMs);
  const objectUrls = await Promise.all(paired.map((p) => evidenceObjectUrl(p.link.url)));
  const zone = event.zonePolygon;
  const track = event.track?.observations ?? [];
  const stamp = stampFor(event);
  let video: HTMLVideoElement | undefined;
  let frameMs = 200;
  const figures = paired.map(({ ref }, i) => {
    if (ref.role === 'clip') {
      const clip = framedClip(
        objectUrls[i]!,
        'Redacted clip around the entry, with the crosswalk zone and the person',
        zone,
        track,
        ref.frameCapturedAtMs,
        stamp,
      );
      video = clip.video;
      if (ref.clipFrames > 1 && ref.clipEndCapturedAtMs > ref.frameCapturedAtMs)
        frameMs = (ref.clipEndCapturedAtMs - ref.frameCapturedAtMs) / (ref.clipFrames - 1);
      return h(
        'figure',
        { class: 'clip' },
        clip.element,
        h(
          'figcaption',
          {},
          `Clip · ${plural(ref.clipFrames, 'frame')} from ${dateTimeMs(ref.frameCapturedAtMs)} to ${clockMs(ref.clipEndCapturedAtMs)} UTC`,
        ),
      );
    }
    return h(
      'figure',
      {},
      framedEvidence(
        objectUrls[i]!,
        `Redacted ${evidenceRoleLabel(ref.role).toLowerCase()} frame with the crosswalk zone and the person’s path`,
        zone,
        track,
        ref.frameCapturedAtMs,
        stamp(ref.frameCapturedAtMs),
      ),
      h('figcaption', {}, caption(ref, event.occurredAtMs)),
    );
  });
  return { figures, video, frameMs, objectUrls, unmatched: links.length - paired.length };
}
