/// <reference lib="dom" />
import { h, svg } from '../dom.js';
import { SIGNAL_STATE_LABEL } from '../labels.js';
import { clockMs, offsetSeconds } from '../time.js';
import { SignalState } from '../../../proto/gen/zebra/v1/event.js';
import type { NormalizedPoint, TrackObservation } from '../../../proto/gen/zebra/v1/event.js';

type Box = TrackObservation['box'];

/** The track box nearest a time, or undefined. */
function nearestBox(track: readonly TrackObservation[], atMs: number): Box {
  let best: TrackObservation | undefined;
  for (const o of track)
    if (o.box && (!best || Math.abs(o.capturedAtMs - atMs) < Math.abs(best.capturedAtMs - atMs))) best = o;
  return best?.box;
}

/** Moves an SVG rect onto a box (or hides it). */
function placeBox(rect: SVGElement, box: Box): void {
  const at = box ? { x: box.x1, y: box.y1, width: box.x2 - box.x1, height: box.y2 - box.y1 } : { width: 0, height: 0 };
  for (const [k, v] of Object.entries(at)) rect.setAttribute(k, String(v));
}

/** The overlay in normalised coordinates: the zone, the track's feet path, and a box to place. */
function overlayLayer(
  zone: readonly NormalizedPoint[],
  track: readonly TrackObservation[],
): { layer: SVGElement; box: SVGElement } {
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

/** What each overlay colour means; shown once beside the evidence. */
export function overlayLegend(): HTMLElement {
  const item = (cls: string, text: string): HTMLElement =>
    h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text);
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Overlay legend' },
    item('zone', 'Crosswalk zone the device tested'),
    item('path', 'Path of the person’s feet'),
    item('box', 'The person at this moment'),
  );
}

/**
 * One redacted frame with the crosswalk zone, the track's path (feet points) and the box nearest
 * the frame's capture time drawn over it, and a stamp on the image: time, place and signal.
 */
export function framedEvidence(
  url: string,
  alt: string,
  zone: readonly NormalizedPoint[],
  track: readonly TrackObservation[],
  frameAtMs: number,
  stamp: string,
): HTMLElement {
  const { layer, box } = overlayLayer(zone, track);
  placeBox(box, nearestBox(track, frameAtMs));
  return h('div', { class: 'frame' }, h('img', { src: url, alt }), layer, h('span', { class: 'stamp' }, stamp));
}

/**
 * The redacted clip with the zone and the path drawn over it; the person's box and the stamp
 * follow the clip's own time (capture time of its first frame plus the playback position).
 */
export function framedClip(
  url: string,
  label: string,
  zone: readonly NormalizedPoint[],
  track: readonly TrackObservation[],
  clipStartMs: number,
  stampAt: (atMs: number) => string,
): { element: HTMLElement; video: HTMLVideoElement } {
  const { layer, box } = overlayLayer(zone, track);
  const video = h('video', {
    src: url,
    controls: '',
    muted: '',
    playsinline: '',
    preload: 'auto',
    'aria-label': label,
  });
  const stamp = h('span', { class: 'stamp' }, stampAt(clipStartMs));
  const place = (): void => {
    const atMs = clipStartMs + video.currentTime * 1000;
    placeBox(box, nearestBox(track, atMs));
    stamp.textContent = stampAt(atMs);
  };
  video.addEventListener('timeupdate', place);
  video.addEventListener('seeked', place);
  video.addEventListener('loadeddata', place);
  return { element: h('div', { class: 'frame' }, video, layer, stamp), video };
}

export interface TimelineInput {
  readonly state: SignalState;
  readonly stateBeganAtMs: number;
  readonly entryAtMs: number;
  /** When the device decided (its "decision" keyframe), if that differs from the entry. */
  readonly decisionAtMs?: number;
  /** Keyframes and the clip's span, drawn as ticks. */
  readonly frames: readonly { readonly label: string; readonly atMs: number }[];
}

const PHASE_CLASS: Partial<Record<SignalState, string>> = {
  [SignalState.SIGNAL_STATE_WALK]: 'walk',
  [SignalState.SIGNAL_STATE_FLASHING_DONT_WALK]: 'flashing',
  [SignalState.SIGNAL_STATE_STEADY_DONT_WALK]: 'steady',
};

/** Tick spacing for a span: about six ticks, at 0.1, 0.2, 0.5, 1, 2, 5… seconds. */
function tickStepMs(spanMs: number): number {
  const raw = spanMs / 6;
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

/**
 * The signal around the entry on a time axis: the phase the device read (from when it began),
 * the phases before it (WALK, then flashing DON'T WALK) whose times the event does not carry,
 * the entry and the device's decision marked to the millisecond, and the evidence frames.
 */
export function signalTimeline(t: TimelineInput): HTMLElement {
  const times = [t.stateBeganAtMs, t.entryAtMs, t.decisionAtMs ?? t.entryAtMs, ...t.frames.map((f) => f.atMs)];
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const span = Math.max(1000, hi - lo);
  const start = lo - span * 0.25;
  const end = hi + span * 0.1;
  const W = 1000;
  const x = (ms: number): number => ((ms - start) / (end - start)) * W;
  const phase = PHASE_CLASS[t.state] ?? 'unknown';
  const bx = x(t.stateBeganAtMs);
  const step = tickStepMs(end - start);
  const ticks: SVGElement[] = [];
  for (let ms = Math.ceil((start - t.stateBeganAtMs) / step) * step; t.stateBeganAtMs + ms <= end; ms += step) {
    const tx = x(t.stateBeganAtMs + ms);
    // A label too near an edge would be cut off.
    if (tx < 40 || tx > W - 40) continue;
    ticks.push(
      svg('line', { x1: tx, x2: tx, y1: 92, y2: 100, class: 'tick' }),
      svg(
        'text',
        { x: tx, y: 124, class: 'ticklabel', 'text-anchor': 'middle' },
        document.createTextNode(`${ms / 1000} s`),
      ),
    );
  }
  const mark = (ms: number, cls: string, label: string, y: number): SVGElement[] => [
    svg('line', { x1: x(ms), x2: x(ms), y1: 18, y2: 100, class: cls }),
    svg(
      'text',
      {
        x: Math.min(W - 4, Math.max(4, x(ms))),
        y,
        class: 'marklabel',
        'text-anchor': x(ms) > W * 0.7 ? 'end' : 'start',
      },
      document.createTextNode(label),
    ),
  ];
  const chart = svg(
    'svg',
    { viewBox: `0 0 ${W} 132`, class: 'timeline', role: 'img', 'aria-labelledby': 'timeline-cap' },
    svg('rect', { x: 0, y: 50, width: bx, height: 34, class: 'phase earlier' }),
    svg('rect', { x: bx, y: 50, width: W - bx, height: 34, class: `phase ${phase}` }),
    ...t.frames.map((f) => svg('line', { x1: x(f.atMs), x2: x(f.atMs), y1: 84, y2: 92, class: 'frametick' })),
    svg('line', { x1: 0, x2: W, y1: 92, y2: 92, class: 'axis' }),
    ...ticks,
    ...mark(t.entryAtMs, 'entry', `entry ${clockMs(t.entryAtMs)}`, 16),
    ...(t.decisionAtMs !== undefined && t.decisionAtMs !== t.entryAtMs
      ? mark(t.decisionAtMs, 'decision', `decision ${clockMs(t.decisionAtMs)}`, 40)
      : []),
  );
  const sinceBegan = t.entryAtMs - t.stateBeganAtMs;
  const legend = h(
    'ul',
    { class: 'legend' },
    h('li', {}, h('span', { class: 'swatch walk', 'aria-hidden': 'true' }), 'WALK'),
    h('li', {}, h('span', { class: 'swatch flashing', 'aria-hidden': 'true' }), 'flashing DON’T WALK'),
    h('li', {}, h('span', { class: 'swatch steady', 'aria-hidden': 'true' }), 'steady DON’T WALK'),
    h(
      'li',
      {},
      h('span', { class: 'swatch earlier', 'aria-hidden': 'true' }),
      'earlier phases, times not in the event',
    ),
  );
  return h(
    'figure',
    { class: 'timeline-box' },
    chart,
    legend,
    h(
      'figcaption',
      { id: 'timeline-cap' },
      `Signal (UTC, seconds from the start of ${SIGNAL_STATE_LABEL[t.state]}): ${SIGNAL_STATE_LABEL[t.state]} began at ${clockMs(t.stateBeganAtMs)}; `,
      `the person entered at ${clockMs(t.entryAtMs)}, ${offsetSeconds(sinceBegan).replace('+', '')} into it`,
      t.decisionAtMs !== undefined && t.decisionAtMs !== t.entryAtMs
        ? `; the device decided at ${clockMs(t.decisionAtMs)} (${offsetSeconds(t.decisionAtMs - t.entryAtMs)} after the entry).`
        : '.',
      ' The device records only the phase it read at the entry; the WALK and flashing DON’T WALK phases before it are not timed in the event.',
    ),
  );
}
