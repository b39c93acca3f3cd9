import type { NormBox } from './detection.js';
import type { FaceBox } from './ultraface.js';

/**
 * A part of the frame to look for faces in, and how much to enlarge it: `scale` model pixels
 * per frame pixel (2 doubles a 10 px face to 20 px, the size the face model still finds).
 */
export interface FaceWindow {
  readonly box: NormBox;
  readonly scale: number;
}

/** Pixel rectangle: origin and size. */
export interface PixelRect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** One window drawn into a canvas: from `src` (frame pixels) to `dst` (canvas pixels). */
export interface Placement {
  readonly src: PixelRect;
  readonly dst: PixelRect;
}

/** One model input holding several windows side by side, with empty gaps between them. */
export interface Canvas {
  readonly placements: readonly Placement[];
}

/** At most this many windows per request: a bound on one request's work. */
export const MAX_FACE_WINDOWS = 512;

/** Empty pixels between windows on a canvas, so no face straddles two. */
export const CANVAS_GAP_PX = 8;

function srcRect(box: NormBox, widthPx: number, heightPx: number): PixelRect {
  const x = Math.max(0, Math.min(widthPx - 1, box.x1 * widthPx));
  const y = Math.max(0, Math.min(heightPx - 1, box.y1 * heightPx));
  const x2 = Math.max(x + 1, Math.min(widthPx, box.x2 * widthPx));
  const y2 = Math.max(y + 1, Math.min(heightPx, box.y2 * heightPx));
  return { x, y, w: x2 - x, h: y2 - y };
}

interface Shelf {
  y: number;
  h: number;
  x: number;
}

interface OpenCanvas {
  placements: Placement[];
  shelves: Shelf[];
  nextY: number;
}

/**
 * Packs windows onto as few `canvasW` x `canvasH` canvases as a shelf packer manages (tallest
 * first). A window larger than a canvas is shrunk to fit; one of 0 pixels is dropped. Pure.
 */
export function packWindows(
  windows: readonly FaceWindow[],
  widthPx: number,
  heightPx: number,
  canvasW: number,
  canvasH: number,
  gapPx = CANVAS_GAP_PX,
): Canvas[] {
  const items = windows
    .map((w) => {
      const src = srcRect(w.box, widthPx, heightPx);
      const scale = Math.min(w.scale, canvasW / src.w, canvasH / src.h);
      return {
        src,
        dw: Math.max(1, Math.min(canvasW, Math.round(src.w * scale))),
        dh: Math.max(1, Math.min(canvasH, Math.round(src.h * scale))),
      };
    })
    .filter((i) => i.src.w >= 1 && i.src.h >= 1)
    .sort((a, b) => b.dh - a.dh || b.dw - a.dw);
  const canvases: OpenCanvas[] = [];
  const place = (c: OpenCanvas, dw: number, dh: number): { x: number; y: number } | undefined => {
    for (const shelf of c.shelves) {
      if (dh <= shelf.h && shelf.x + dw <= canvasW) {
        const at = { x: shelf.x, y: shelf.y };
        shelf.x += dw + gapPx;
        return at;
      }
    }
    if (c.nextY + dh > canvasH) return undefined;
    const shelf = { y: c.nextY, h: dh, x: dw + gapPx };
    c.shelves.push(shelf);
    c.nextY += dh + gapPx;
    return { x: 0, y: shelf.y };
  };
  for (const item of items) {
    let at: { x: number; y: number } | undefined;
    let target: OpenCanvas | undefined;
    for (const c of canvases) {
      at = place(c, item.dw, item.dh);
      if (at) {
        target = c;
        break;
      }
    }
    if (!target) {
      target = { placements: [], shelves: [], nextY: 0 };
      canvases.push(target);
      at = place(target, item.dw, item.dh)!;
    }
    target.placements.push({ src: item.src, dst: { x: at!.x, y: at!.y, w: item.dw, h: item.dh } });
  }
  return canvases.map((c) => ({ placements: c.placements }));
}

/** A model input size, in pixels. */
export interface CanvasSize {
  readonly widthPx: number;
  readonly heightPx: number;
}

/** A packed canvas and which model input it is for. */
export interface SizedCanvas extends Canvas {
  readonly size: 'large' | 'small';
}

/**
 * Packs windows for a detector with two input sizes of the same model family (UltraFace 640
 * and 320: the same anchors in pixels, so a face is found at the same pixel size on either).
 * A window is never drawn smaller than the large canvas would draw it: windows that fit the
 * small canvas at that size may go on small canvases, the rest go on large ones. Of the two
 * packings (small windows on small canvases beside the large ones, or everything on large
 * canvases) the one costing less is returned, `smallCost` being the cost of a small canvas
 * in large ones. Pure.
 */
export function packWindowsTwoSizes(
  windows: readonly FaceWindow[],
  widthPx: number,
  heightPx: number,
  large: CanvasSize,
  small: CanvasSize,
  smallCost: number,
  gapPx = CANVAS_GAP_PX,
): SizedCanvas[] {
  const fitsSmall = (w: FaceWindow): boolean => {
    const src = srcRect(w.box, widthPx, heightPx);
    const scale = Math.min(w.scale, large.widthPx / src.w, large.heightPx / src.h);
    return Math.round(src.w * scale) <= small.widthPx && Math.round(src.h * scale) <= small.heightPx;
  };
  const sized = (canvases: Canvas[], size: 'large' | 'small'): SizedCanvas[] =>
    canvases.map((c) => ({ placements: c.placements, size }));
  const allLarge = packWindows(windows, widthPx, heightPx, large.widthPx, large.heightPx, gapPx);
  const smallOnes = windows.filter(fitsSmall);
  if (smallOnes.length === 0) return sized(allLarge, 'large');
  // On a small canvas a window keeps the scale it would have had on a large one.
  const keepScale = smallOnes.map((w) => {
    const src = srcRect(w.box, widthPx, heightPx);
    return { box: w.box, scale: Math.min(w.scale, large.widthPx / src.w, large.heightPx / src.h) };
  });
  const largeOnes = packWindows(
    windows.filter((w) => !fitsSmall(w)),
    widthPx,
    heightPx,
    large.widthPx,
    large.heightPx,
    gapPx,
  );
  const smalls = packWindows(keepScale, widthPx, heightPx, small.widthPx, small.heightPx, gapPx);
  return largeOnes.length + smalls.length * smallCost < allLarge.length
    ? [...sized(largeOnes, 'large'), ...sized(smalls, 'small')]
    : sized(allLarge, 'large');
}

/** How pixel values become tensor values: (px - offset) * scale, channels picked from RGB. */
export interface TensorFormat {
  readonly channels: readonly [number, number, number];
  readonly offset: number;
  readonly scale: number;
  readonly padValue: number;
}

/**
 * Draws a canvas into a planar float32 tensor: each placement's source rectangle resized
 * (bilinear, pixel centres aligned as OpenCV's INTER_LINEAR) into its destination. Pure.
 */
export function canvasTensor(
  rgb: Uint8Array,
  widthPx: number,
  heightPx: number,
  canvas: Canvas,
  canvasW: number,
  canvasH: number,
  format: TensorFormat,
): Float32Array {
  const plane = canvasW * canvasH;
  const tensor = new Float32Array(3 * plane).fill(format.padValue);
  const [c0, c1, c2] = format.channels;
  const k = format.scale;
  const o = format.offset;
  for (const { src, dst } of canvas.placements) {
    const sx = src.w / dst.w;
    const sy = src.h / dst.h;
    const x0s = new Int32Array(dst.w);
    const x1s = new Int32Array(dst.w);
    const wxs = new Float32Array(dst.w);
    for (let x = 0; x < dst.w; x++) {
      const fx = Math.min(widthPx - 1, Math.max(0, src.x + (x + 0.5) * sx - 0.5));
      x0s[x] = Math.floor(fx) * 3;
      x1s[x] = Math.min(widthPx - 1, Math.floor(fx) + 1) * 3;
      wxs[x] = fx - Math.floor(fx);
    }
    for (let y = 0; y < dst.h; y++) {
      const fy = Math.min(heightPx - 1, Math.max(0, src.y + (y + 0.5) * sy - 0.5));
      const row0 = Math.floor(fy) * widthPx * 3;
      const row1 = Math.min(heightPx - 1, Math.floor(fy) + 1) * widthPx * 3;
      const wy = fy - Math.floor(fy);
      const out = (dst.y + y) * canvasW + dst.x;
      for (let x = 0; x < dst.w; x++) {
        const a = row0 + x0s[x]!;
        const b = row0 + x1s[x]!;
        const c = row1 + x0s[x]!;
        const d = row1 + x1s[x]!;
        const wx = wxs[x]!;
        const w00 = (1 - wx) * (1 - wy);
        const w01 = wx * (1 - wy);
        const w10 = (1 - wx) * wy;
        const w11 = wx * wy;
        const at = out + x;
        tensor[at] = (rgb[a + c0]! * w00 + rgb[b + c0]! * w01 + rgb[c + c0]! * w10 + rgb[d + c0]! * w11 - o) * k;
        tensor[plane + at] =
          (rgb[a + c1]! * w00 + rgb[b + c1]! * w01 + rgb[c + c1]! * w10 + rgb[d + c1]! * w11 - o) * k;
        tensor[2 * plane + at] =
          (rgb[a + c2]! * w00 + rgb[b + c2]! * w01 + rgb[c + c2]! * w10 + rgb[d + c2]! * w11 - o) * k;
      }
    }
  }
  return tensor;
}

/**
 * Maps faces found on a canvas (normalised to the canvas) back to the frame (normalised to
 * the frame). A face belongs to the placement holding its centre and is clipped to it; faces
 * centred in the gaps are dropped. Pure.
 */
export function mapCanvasFaces(
  faces: readonly FaceBox[],
  canvas: Canvas,
  canvasW: number,
  canvasH: number,
  widthPx: number,
  heightPx: number,
): FaceBox[] {
  const out: FaceBox[] = [];
  for (const face of faces) {
    const cx = ((face.box.x1 + face.box.x2) / 2) * canvasW;
    const cy = ((face.box.y1 + face.box.y2) / 2) * canvasH;
    const p = canvas.placements.find(
      ({ dst }) => cx >= dst.x && cx < dst.x + dst.w && cy >= dst.y && cy < dst.y + dst.h,
    );
    if (!p) continue;
    const { src, dst } = p;
    const toX = (v: number): number => {
      const cxPx = Math.min(dst.x + dst.w, Math.max(dst.x, v * canvasW));
      return (src.x + ((cxPx - dst.x) * src.w) / dst.w) / widthPx;
    };
    const toY = (v: number): number => {
      const cyPx = Math.min(dst.y + dst.h, Math.max(dst.y, v * canvasH));
      return (src.y + ((cyPx - dst.y) * src.h) / dst.h) / heightPx;
    };
    const box = { x1: toX(face.box.x1), y1: toY(face.box.y1), x2: toX(face.box.x2), y2: toY(face.box.y2) };
    if (box.x2 > box.x1 && box.y2 > box.y1) out.push({ box, score: face.score });
  }
  return out;
}
