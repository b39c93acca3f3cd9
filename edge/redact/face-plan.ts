import type { NormBox } from '../detect/detection.js';
import type { FaceWindow } from '../detect/face-windows.js';

/** What a face search covers on one frame. */
export type FaceSearch = 'none' | 'light' | 'full';

export interface FacePlanOptions {
  readonly widthPx: number;
  readonly heightPx: number;
  /** The face model's input size: one canvas. */
  readonly canvasWidthPx: number;
  readonly canvasHeightPx: number;
  /** Enlargement of the finest tiled level (2: a 10 px face is looked for at 20 px). */
  readonly tileScale: number;
  /** Model pixels shared by neighbouring tiles: faces up to this size (at the level's scale) are whole in one. */
  readonly tileOverlapPx: number;
}

/** The smallest face, in model pixels, the face model finds reliably. */
const MIN_FACE_MODEL_PX = 20;

/** Where faces can matter: the whole frame, or the regions left sharp (need-to-know). */
export interface FacePlanInput {
  readonly regions: readonly NormBox[];
  readonly persons: readonly NormBox[];
  /** Boxes that will be masked anyway: windows they cover entirely are skipped. */
  readonly masked: readonly NormBox[];
  readonly search: FaceSearch;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

export function clampBox(b: NormBox): NormBox {
  return { x1: clamp01(b.x1), y1: clamp01(b.y1), x2: clamp01(b.x2), y2: clamp01(b.y2) };
}

export function intersect(a: NormBox, b: NormBox): NormBox | undefined {
  const r = { x1: Math.max(a.x1, b.x1), y1: Math.max(a.y1, b.y1), x2: Math.min(a.x2, b.x2), y2: Math.min(a.y2, b.y2) };
  return r.x2 > r.x1 && r.y2 > r.y1 ? r : undefined;
}

/** Widens a box by `ratio` of its size on every side, clamped to the frame. */
export function widenBox(box: NormBox, ratio: number): NormBox {
  const dx = (box.x2 - box.x1) * ratio;
  const dy = (box.y2 - box.y1) * ratio;
  return clampBox({ x1: box.x1 - dx, y1: box.y1 - dy, x2: box.x2 + dx, y2: box.y2 + dy });
}

/**
 * Overlapping tiles over `region` at `scale`, each one canvas once enlarged, spread evenly so
 * neighbours share at least `tileOverlapPx` model pixels. Pure.
 */
export function tileLevel(region: NormBox, scale: number, o: FacePlanOptions): FaceWindow[] {
  const tileW = o.canvasWidthPx / scale / o.widthPx;
  const tileH = o.canvasHeightPx / scale / o.heightPx;
  const overlapX = Math.min(tileW / 2, o.tileOverlapPx / scale / o.widthPx);
  const overlapY = Math.min(tileH / 2, o.tileOverlapPx / scale / o.heightPx);
  const starts = (from: number, to: number, tile: number, overlap: number): number[] => {
    const span = to - from;
    if (span <= tile) return [from];
    const n = Math.ceil((span - overlap) / (tile - overlap));
    const step = (span - tile) / (n - 1);
    return Array.from({ length: n }, (_, i) => from + i * step);
  };
  const windows: FaceWindow[] = [];
  for (const y of starts(region.y1, region.y2, tileH, overlapY))
    for (const x of starts(region.x1, region.x2, tileW, overlapX))
      windows.push({
        box: clampBox({ x1: x, y1: y, x2: Math.min(region.x2, x + tileW), y2: Math.min(region.y2, y + tileH) }),
        scale,
      });
  return windows;
}

/** The region at up to 1x, shrunk to fit one canvas: the larger faces, whole. */
export function overviewWindow(region: NormBox, o: FacePlanOptions): FaceWindow {
  const w = (region.x2 - region.x1) * o.widthPx;
  const h = (region.y2 - region.y1) * o.heightPx;
  return { box: region, scale: Math.min(1, o.canvasWidthPx / w, o.canvasHeightPx / h) };
}

/**
 * A pyramid of tiles over `region`: the finest level at `tileScale`, then levels 4x coarser
 * until the overview (the region in one canvas) finds every face too big to be whole in the
 * last level's overlap. A face of any size from ~20 / tileScale px up is whole, at a findable
 * size, in some window. Pure.
 */
export function tileWindows(region: NormBox, o: FacePlanOptions): FaceWindow[] {
  const overview = overviewWindow(region, o);
  const windows: FaceWindow[] = [];
  for (let scale = o.tileScale; scale > overview.scale; scale /= 4) {
    windows.push(...tileLevel(region, scale, o));
    // Faces larger than this level's overlap must be findable on the next: at least MIN_FACE_MODEL_PX there.
    if ((overview.scale * o.tileOverlapPx) / scale >= MIN_FACE_MODEL_PX) break;
  }
  return windows;
}

/** Height, in model pixels, a person's upper box is enlarged to (a head then spans ~30-40 px). */
const UPPER_BOX_TARGET_PX = 96;
const MAX_UPPER_BOX_SCALE = 4;

/**
 * The upper half of a person box, widened, enlarged so a head in it is big enough for the
 * face model (up to 4x): where a detected person's face is, whatever its size. Pure.
 */
export function upperBoxWindow(person: NormBox, o: FacePlanOptions): FaceWindow {
  const w = person.x2 - person.x1;
  const h = person.y2 - person.y1;
  const box = clampBox({
    x1: person.x1 - 0.2 * w,
    y1: person.y1 - 0.1 * h,
    x2: person.x2 + 0.2 * w,
    y2: person.y1 + 0.5 * h,
  });
  const heightPx = Math.max(1, (box.y2 - box.y1) * o.heightPx);
  return { box, scale: Math.max(1, Math.min(MAX_UPPER_BOX_SCALE, UPPER_BOX_TARGET_PX / heightPx)) };
}

/** True when `box` lies entirely inside the union of `masks` (checked on a 6x6 grid of points). Pure. */
export function isCovered(box: NormBox, masks: readonly NormBox[]): boolean {
  if (masks.length === 0) return false;
  const n = 6;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = box.x1 + ((box.x2 - box.x1) * (i + 0.5)) / n;
      const y = box.y1 + ((box.y2 - box.y1) * (j + 0.5)) / n;
      if (!masks.some((m) => x >= m.x1 && x <= m.x2 && y >= m.y1 && y <= m.y2)) return false;
    }
  }
  return true;
}

/**
 * The windows of one frame's face search. "light": each region at up to 1x (shrunk to one
 * canvas) and each person's upper box enlarged; "full": also the regions' tile pyramid. Windows entirely inside
 * what is masked anyway are skipped. Pure.
 */
export function planFaceWindows(input: FacePlanInput, o: FacePlanOptions): FaceWindow[] {
  if (input.search === 'none') return [];
  const windows: FaceWindow[] = [];
  for (const region of input.regions) {
    const tiles = input.search === 'full' ? tileWindows(region, o) : [];
    // A region that one tile holds whole needs no overview: every face in it is whole there.
    const wholeInOneTile = tiles.length === 1 && tiles[0]!.scale >= overviewWindow(region, o).scale;
    if (!wholeInOneTile) windows.push(overviewWindow(region, o));
    windows.push(...tiles);
  }
  for (const person of input.persons) {
    const upper = upperBoxWindow(person, o);
    const inside = input.regions.map((r) => intersect(upper.box, r)).filter((b) => b !== undefined);
    for (const box of inside) windows.push({ box, scale: upper.scale });
  }
  return dropDominated(windows.filter((w) => !isCovered(w.box, input.masked)));
}

function inside(inner: NormBox, outer: NormBox): boolean {
  return inner.x1 >= outer.x1 && inner.y1 >= outer.y1 && inner.x2 <= outer.x2 && inner.y2 <= outer.y2;
}

/** Drops every window that lies inside another searched at the same or a larger scale. Pure. */
export function dropDominated(windows: readonly FaceWindow[]): FaceWindow[] {
  return windows.filter(
    (w, i) =>
      !windows.some(
        (v, j) =>
          j !== i &&
          v.scale >= w.scale &&
          inside(w.box, v.box) &&
          // Of two identical windows the first is kept.
          !(j > i && v.scale === w.scale && inside(v.box, w.box)),
      ),
  );
}
