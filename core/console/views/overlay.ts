/// <reference lib="dom" />
import { h, isoTime, svg } from '../dom.js';

export interface Point {
  x: number;
  y: number;
}
export interface Observation {
  capturedAtMs: string;
  box?: { x1: number; y1: number; x2: number; y2: number };
}

/** The track box nearest a time, or undefined. */
function nearestBox(track: readonly Observation[], atMs: number): Observation['box'] {
  let best: Observation | undefined;
  for (const o of track)
    if (o.box && (!best || Math.abs(Number(o.capturedAtMs) - atMs) < Math.abs(Number(best.capturedAtMs) - atMs)))
      best = o;
  return best?.box;
}

/** Moves an SVG rect onto a box (or hides it). */
function placeBox(rect: SVGElement, box: Observation['box']): void {
  const at = box ? { x: box.x1, y: box.y1, width: box.x2 - box.x1, height: box.y2 - box.y1 } : { width: 0, height: 0 };
  for (const [k, v] of Object.entries(at)) rect.setAttribute(k, String(v));
}

/** The overlay in normalised coordinates: the zone, the track's feet path, and a box to place. */
function overlayLayer(zone: readonly Point[], track: readonly Observation[]): { layer: SVGElement; box: SVGElement } {
  const feet = track.filter((o) => o.box).map((o) => ({ x: (o.box!.x1 + o.box!.x2) / 2, y: o.box!.y2 }));
  const box = svg('rect', { class: 'box', x: 0, y: 0, width: 0, height: 0 });
  const layer = svg(
    'svg',
    { viewBox: '0 0 1 1', preserveAspectRatio: 'none', class: 'overlay', 'aria-hidden': 'true' },
    ...(zone.length >= 3
      ? [svg('polygon', { points: zone.map((p) => `${p.x},${p.y}`).join(' '), class: 'zone' })]
      : []),
    ...(feet.length >= 2
      ? [svg('polyline', { points: feet.map((p) => `${p.x},${p.y}`).join(' '), class: 'path' })]
      : []),
    box,
  );
  return { layer, box };
}

/**
 * One redacted frame with the crosswalk zone, the track's path (feet points) and the box
 * nearest the frame's capture time drawn over it, in normalised coordinates.
 */
export function framedEvidence(
  url: string,
  alt: string,
  zone: readonly Point[],
  track: readonly Observation[],
  frameAtMs: number,
): HTMLElement {
  const { layer, box } = overlayLayer(zone, track);
  placeBox(box, nearestBox(track, frameAtMs));
  return h('div', { class: 'frame' }, h('img', { src: url, alt }), layer);
}

/**
 * The redacted clip with the zone and the path drawn over it; the person's box follows the
 * clip's own time (capture time of its first frame plus the playback position).
 */
export function framedClip(
  url: string,
  label: string,
  zone: readonly Point[],
  track: readonly Observation[],
  clipStartMs: number,
): HTMLElement {
  const { layer, box } = overlayLayer(zone, track);
  const video = h('video', {
    src: url,
    controls: '',
    muted: '',
    playsinline: '',
    preload: 'auto',
    'aria-label': label,
  });
  const place = (): void => placeBox(box, nearestBox(track, clipStartMs + video.currentTime * 1000));
  video.addEventListener('timeupdate', place);
  video.addEventListener('loadeddata', place);
  return h('div', { class: 'frame' }, video, layer);
}

/** A timeline: steady DON'T WALK began, then the entry, with the gap between them. */
export function signalTimeline(beganAtMs: number, enteredAtMs: number, msSince: number): HTMLElement {
  const span = Math.max(1, enteredAtMs - beganAtMs);
  const pad = span * 0.15;
  const x = (t: number): number => ((t - beganAtMs + pad) / (span + 2 * pad)) * 100;
  const chart = svg(
    'svg',
    { viewBox: '0 0 100 24', class: 'timeline', role: 'img', 'aria-label': 'Signal timeline' },
    svg('rect', { x: x(beganAtMs), y: 8, width: 100 - x(beganAtMs), height: 8, class: 'dontwalk' }),
    svg('line', { x1: x(enteredAtMs), x2: x(enteredAtMs), y1: 2, y2: 22, class: 'entry' }),
  );
  return h(
    'figure',
    { class: 'timeline-box' },
    chart,
    h(
      'figcaption',
      {},
      `Steady DON'T WALK (red) began ${isoTime(beganAtMs)?.slice(11, 23) ?? '(invalid time)'} UTC; the person entered (line) ${(msSince / 1000).toFixed(1)} s later.`,
    ),
  );
}
