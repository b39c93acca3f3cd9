import { rgb } from 'pdf-lib';
import type { PDFImage } from 'pdf-lib';
import type { EvidenceRef, InfractionEvent } from '../../proto/index.js';
import { signalLabel, timeWithMs } from '../console/audit-labels.js';
import { CONTENT_WIDTH, INK, MUTED, PAGE } from './pdf-writer.js';
import type { PdfWriter } from './pdf-writer.js';

const RED = rgb(0.78, 0.12, 0.12);
const GREY = rgb(0.8, 0.82, 0.85);
const BLUE = rgb(0.04, 0.36, 0.68);
const YELLOW = rgb(1, 0.84, 0);

const ROLE_WORDS: Readonly<Record<string, string>> = {
  before: 'before the entry',
  entry: 'the entry',
  decision: 'when the rule decided',
  after: 'after the entry',
};

export const roleLabel = (role: string): string => ROLE_WORDS[role] ?? (role || 'keyframe');

/** "entered 3.2 s after steady DON'T WALK began". */
export function signalCaption(event: InfractionEvent): string {
  const s = event.signal;
  if (!s) return 'signal: not recorded';
  const label = signalLabel(s.state);
  return s.msSinceSteadyDontWalk > 0
    ? `signal: ${label}, entered ${(s.msSinceSteadyDontWalk / 1000).toFixed(1)} s after steady DON'T WALK began`
    : `signal: ${label}`;
}

/**
 * One redacted keyframe scaled to the page width, with time, place, zone and signal burned into
 * a band across its foot and the crosswalk zone outlined on it. The image's own bytes are
 * embedded unchanged, so `pdfimages -all` gives back exactly the bytes the device signed.
 */
export function drawKeyframe(w: PdfWriter, event: InfractionEvent, ref: EvidenceRef, image: PDFImage): void {
  const scale = Math.min(CONTENT_WIDTH / image.width, 300 / image.height);
  const width = image.width * scale;
  const height = image.height * scale;
  w.ensure(height + 40);
  const x = PAGE.margin;
  const y = w.y - height;
  w.page.drawImage(image, { x, y, width, height });
  const polygon = event.zonePolygon;
  for (const [i, p] of polygon.entries()) {
    const q = polygon[(i + 1) % polygon.length]!;
    w.page.drawLine({
      start: { x: x + p.x * width, y: y + (1 - p.y) * height },
      end: { x: x + q.x * width, y: y + (1 - q.y) * height },
      thickness: 1.5,
      color: YELLOW,
    });
  }
  const band = 30;
  w.page.drawRectangle({ x, y, width, height: band, color: rgb(0, 0, 0), opacity: 0.72 });
  const lines = [
    `${timeWithMs(ref.frameCapturedAtMs, 'utc')}  |  site ${event.siteId}, camera ${event.cameraId}`,
    `zone ${event.zoneId} (version ${event.zoneVersion})  |  ${signalCaption(event)}`,
  ];
  for (const [i, line] of lines.entries())
    w.page.drawText(w.safe(line, w.fonts.bold), {
      x: x + 6,
      y: y + band - 12 - i * 12,
      size: 8.5,
      font: w.fonts.bold,
      color: rgb(1, 1, 1),
      maxWidth: width - 12,
    });
  w.y = y - 4;
}

/**
 * The signal around the entry on a time axis: what the device recorded (steady DON'T WALK from
 * when it began), the entry and each keyframe marked to the millisecond.
 */
export function drawTimeline(w: PdfWriter, event: InfractionEvent): void {
  const s = event.signal;
  const began = s && s.stateBeganAtMs > 0 ? s.stateBeganAtMs : event.occurredAtMs;
  const marks = [
    { atMs: event.occurredAtMs, label: 'entry', color: RED },
    ...event.evidence
      .filter((r) => r.frameCapturedAtMs > 0 && r.role !== 'clip')
      .map((r) => ({ atMs: r.frameCapturedAtMs, label: roleLabel(r.role), color: BLUE })),
  ];
  const clipEnd = Math.max(0, ...event.evidence.map((r) => r.clipEndCapturedAtMs));
  const fromMs = Math.min(began, ...marks.map((m) => m.atMs)) - 1000;
  const toMs = Math.max(event.occurredAtMs, clipEnd, ...marks.map((m) => m.atMs)) + 1000;
  const spanMs = Math.max(1, toMs - fromMs);
  const height = 110;
  w.ensure(height);
  const left = PAGE.margin;
  const barY = w.y - 40;
  const xOf = (ms: number): number => left + ((ms - fromMs) / spanMs) * CONTENT_WIDTH;
  w.page.drawRectangle({ x: left, y: barY, width: xOf(began) - left, height: 16, color: GREY });
  w.page.drawRectangle({ x: xOf(began), y: barY, width: left + CONTENT_WIDTH - xOf(began), height: 16, color: RED });
  const label = (text: string, x: number, y: number, size = 7.5, color = INK): void => {
    const safe = w.safe(text, w.fonts.regular);
    const tw = w.fonts.regular.widthOfTextAtSize(safe, size);
    const at = Math.min(Math.max(left, x - tw / 2), left + CONTENT_WIDTH - tw);
    w.page.drawText(safe, { x: at, y, size, font: w.fonts.regular, color });
  };
  label('not recorded by the device', (left + xOf(began)) / 2, barY + 20, 7.5, MUTED);
  label(
    `steady DON'T WALK from ${timeWithMs(began, 'utc').slice(11)}`,
    (xOf(began) + left + CONTENT_WIDTH) / 2,
    barY + 20,
  );
  // Axis: a tick each second, labelled relative to the start of steady DON'T WALK.
  const stepMs = spanMs > 30_000 ? 5000 : 1000;
  for (let t = Math.ceil((fromMs - began) / stepMs) * stepMs; began + t <= toMs; t += stepMs) {
    const x = xOf(began + t);
    w.page.drawLine({ start: { x, y: barY }, end: { x, y: barY - 4 }, thickness: 0.6, color: INK });
    label(`${t >= 0 ? '+' : ''}${t / 1000} s`, x, barY - 12, 6.5, MUTED);
  }
  for (const [i, m] of marks.entries()) {
    const x = xOf(m.atMs);
    w.page.drawLine({ start: { x, y: barY - 2 }, end: { x, y: barY + 18 }, thickness: 1.4, color: m.color });
    label(`${m.label} ${timeWithMs(m.atMs, 'utc').slice(11, 23)}`, x, barY - 24 - (i % 3) * 9, 7, m.color);
  }
  w.y = barY - 56;
}
