/**
 * Generic bounds on decoded input (API requests, events from the stream). Pure: walks a plain
 * object as ts-proto decodes it and names the first value out of bounds, by its path.
 */
export interface ValueBounds {
  /** Longest string, in UTF-16 code units. */
  readonly maxStringLength: number;
  /** Longest repeated field. */
  readonly maxArrayLength: number;
  /** Deepest nesting. */
  readonly maxDepth: number;
}

export const DEFAULT_VALUE_BOUNDS: ValueBounds = { maxStringLength: 16_384, maxArrayLength: 10_000, maxDepth: 16 };

/** A short, printable path for messages: "signal.readAtMs", "evidence[2].objectKey". */
function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/**
 * The first problem in `value`, as "<path> <what is wrong>", or undefined when every string is
 * within length and free of NUL bytes, every number is finite, and every list is within length.
 */
export function findOutOfBounds(value: unknown, bounds: ValueBounds = DEFAULT_VALUE_BOUNDS): string | undefined {
  const walk = (v: unknown, path: string, depth: number): string | undefined => {
    if (typeof v === 'string') {
      if (v.length > bounds.maxStringLength)
        return `${path || 'value'} is longer than ${bounds.maxStringLength} characters`;
      if (v.includes('\u0000')) return `${path || 'value'} contains a NUL byte`;
      return undefined;
    }
    if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path || 'value'} is not a finite number`;
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return undefined;
    if (depth >= bounds.maxDepth) return `${path || 'value'} is nested too deeply`;
    if (Array.isArray(v)) {
      if (v.length > bounds.maxArrayLength) return `${path} has more than ${bounds.maxArrayLength} items`;
      for (let i = 0; i < v.length; i++) {
        const problem = walk(v[i], join(path, i), depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    for (const [key, child] of Object.entries(v)) {
      const problem = walk(child, join(path, key), depth + 1);
      if (problem) return problem;
    }
    return undefined;
  };
  return walk(value, '', 0);
}
