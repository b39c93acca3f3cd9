/** bench:scale's printed tables: the figures per size, and each ratio beside the issue's target. */
import type { Figure } from './scale-measure.js';

/** Every figure of one size, by row label; calls give p50 and p99. */
export type SizeResult = Map<string, Figure>;

export function show(f: Figure): string {
  if ('failed' in f) return f.failed;
  if ('text' in f) return f.text;
  return f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(f.value >= 10 ? 1 : 2);
}

export function table(sizes: readonly number[], results: readonly SizeResult[]): string {
  const labels = [...results[0]!.keys()];
  const width = 36;
  const col = 22;
  const cell = (s: string): string => (s.length > col ? `${s.slice(0, col - 1)}…` : s).padStart(col);
  const lines = [`${'figure'.padEnd(width)}${sizes.map((n) => cell(`${n} events`)).join('')}`];
  for (const label of labels) {
    lines.push(`${label.padEnd(width)}${results.map((r) => cell(show(r.get(label) ?? { failed: '-' }))).join('')}`);
  }
  return lines.join('\n');
}

/** The issue's acceptance target for a figure: a bound on the ratio, or on the value at the largest size. */
function targetOf(label: string): { text: string; met(ratio: number, large: number): boolean } | undefined {
  if (/ p(50|99) ms$/.test(label)) return { text: 'ratio <= 2', met: (r) => r <= 2 };
  if (label.endsWith('entries/s')) return { text: 'ratio >= 0.8', met: (r) => r >= 0.8 };
  if (label.startsWith('Core RSS MB (peak')) return { text: '< 1024 MB', met: (_, v) => v < 1024 };
  if (label.includes('stall') || label.includes('healthz')) return { text: '<= 100 ms', met: (_, v) => v <= 100 };
  return undefined;
}

export function ratios(small: number, large: number, a: SizeResult, b: SizeResult): string {
  const lines = [`${'ratio'.padEnd(36)}${`${large}/${small}`.padStart(10)}   target`];
  for (const [label, fa] of a) {
    const fb = b.get(label)!;
    if ('text' in fa || 'text' in fb) continue;
    const target = targetOf(label);
    if ('failed' in fa || 'failed' in fb) {
      const why = 'failed' in fb ? fb.failed : 'failed' in fa ? fa.failed : '';
      lines.push(
        `${label.padEnd(36)}${'n/a'.padStart(10)}   ${target ? `${target.text}: NOT met` : ''} (${why.slice(0, 70)})`,
      );
      continue;
    }
    const ratio = fa.value === 0 ? NaN : fb.value / fa.value;
    const verdict = target ? `${target.text}: ${target.met(ratio, fb.value) ? 'met' : 'NOT met'}` : '';
    lines.push(`${label.padEnd(36)}${ratio.toFixed(2).padStart(10)}   ${verdict}`);
  }
  return lines.join('\n');
}
