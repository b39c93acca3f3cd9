/** Motion gating in the spirit of Frigate: a small luma grid against a running background. */

export interface MotionOptions {
  /** Grid cells across; rows follow the frame's aspect ratio. */
  readonly gridWidth: number;
  /** A cell moved when its luma differs from the background by more than this (0-255). */
  readonly cellThreshold: number;
  /** Motion when at least this share of the cells moved. */
  readonly minChangedRatio: number;
  /** How fast the background follows the scene (0-1 per frame). */
  readonly backgroundAlpha: number;
}

export const DEFAULT_MOTION_OPTIONS: MotionOptions = {
  gridWidth: 64,
  cellThreshold: 20,
  minChangedRatio: 0.002,
  backgroundAlpha: 0.2,
};

/** A luma grid: mean luma per cell, row-major. */
export interface LumaGrid {
  readonly width: number;
  readonly height: number;
  readonly cells: Float32Array;
}

/** What motion detection says about one frame. */
export interface MotionReading {
  readonly changedRatio: number;
  readonly hasMotion: boolean;
  /** Spread of luma across the grid: near 0 for a covered, black or washed-out view. */
  readonly lumaStddev: number;
  readonly lumaMean: number;
}

const SAMPLES_PER_CELL_SIDE = 4;
const SAMPLES_PER_CELL = SAMPLES_PER_CELL_SIDE * SAMPLES_PER_CELL_SIDE;

interface SampleLayout {
  readonly width: number;
  readonly height: number;
  /** Byte offsets of every sampled pixel, cell by cell (row-major), SAMPLES_PER_CELL per cell. */
  readonly offsets: Int32Array;
}

/** Where each cell samples, worked out once per frame size. */
const layouts = new Map<string, SampleLayout>();

function sampleLayout(widthPx: number, heightPx: number, gridWidth: number): SampleLayout {
  const key = `${widthPx}x${heightPx}/${gridWidth}`;
  const cached = layouts.get(key);
  if (cached) return cached;
  const width = Math.max(1, Math.min(gridWidth, widthPx));
  const height = Math.max(1, Math.round((width * heightPx) / widthPx));
  const cellW = widthPx / width;
  const cellH = heightPx / height;
  const offsets = new Int32Array(width * height * SAMPLES_PER_CELL);
  let k = 0;
  for (let gy = 0; gy < height; gy++) {
    for (let gx = 0; gx < width; gx++) {
      for (let sy = 0; sy < SAMPLES_PER_CELL_SIDE; sy++) {
        const y = Math.min(heightPx - 1, Math.floor(gy * cellH + ((sy + 0.5) * cellH) / SAMPLES_PER_CELL_SIDE));
        for (let sx = 0; sx < SAMPLES_PER_CELL_SIDE; sx++) {
          const x = Math.min(widthPx - 1, Math.floor(gx * cellW + ((sx + 0.5) * cellW) / SAMPLES_PER_CELL_SIDE));
          offsets[k++] = (y * widthPx + x) * 3;
        }
      }
    }
  }
  const layout = { width, height, offsets };
  layouts.set(key, layout);
  return layout;
}

/** Mean luma per grid cell from packed RGB, sampling a few pixels per cell. Pure. */
export function lumaGrid(rgb: Buffer, widthPx: number, heightPx: number, gridWidth: number): LumaGrid {
  const { width, height, offsets } = sampleLayout(widthPx, heightPx, gridWidth);
  const cells = new Float32Array(width * height);
  for (let cell = 0, k = 0; cell < cells.length; cell++) {
    let sum = 0;
    for (const end = k + SAMPLES_PER_CELL; k < end; k++) {
      const i = offsets[k]!;
      sum += 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!;
    }
    cells[cell] = sum / SAMPLES_PER_CELL;
  }
  return { width, height, cells };
}

function spread(cells: Float32Array): { mean: number; stddev: number } {
  let sum = 0;
  for (const v of cells) sum += v;
  const mean = sum / cells.length;
  let squares = 0;
  for (const v of cells) squares += (v - mean) ** 2;
  return { mean, stddev: Math.sqrt(squares / cells.length) };
}

/**
 * Compares a frame's grid with the background and returns the reading and the updated
 * background. The first frame (no background yet) counts as motion. Pure.
 */
export function detectMotion(
  background: LumaGrid | undefined,
  frame: LumaGrid,
  options: MotionOptions,
): { reading: MotionReading; background: LumaGrid } {
  const { mean, stddev } = spread(frame.cells);
  if (!background || background.cells.length !== frame.cells.length) {
    return {
      reading: { changedRatio: 1, hasMotion: true, lumaStddev: stddev, lumaMean: mean },
      background: { ...frame, cells: Float32Array.from(frame.cells) },
    };
  }
  const next = new Float32Array(frame.cells.length);
  let changed = 0;
  for (let i = 0; i < frame.cells.length; i++) {
    const bg = background.cells[i]!;
    const v = frame.cells[i]!;
    if (Math.abs(v - bg) > options.cellThreshold) changed += 1;
    next[i] = bg + options.backgroundAlpha * (v - bg);
  }
  const changedRatio = changed / frame.cells.length;
  return {
    reading: { changedRatio, hasMotion: changedRatio >= options.minChangedRatio, lumaStddev: stddev, lumaMean: mean },
    background: { width: frame.width, height: frame.height, cells: next },
  };
}

/**
 * Whether the detector must run on this frame: on motion, while any track moves or is lost
 * (it may be moving behind something), and at least every `maxIntervalMs`. People standing
 * still keep their tracks but, as in Frigate, do not keep the detector busy. Pure.
 */
export function shouldDetect(input: {
  readonly gatingEnabled: boolean;
  readonly hasMotion: boolean;
  /** Tracks that move or are lost. */
  readonly activeTracks: number;
  readonly msSinceLastDetect: number;
  readonly maxIntervalMs: number;
}): boolean {
  if (!input.gatingEnabled) return true;
  return input.hasMotion || input.activeTracks > 0 || input.msSinceLastDetect >= input.maxIntervalMs;
}
