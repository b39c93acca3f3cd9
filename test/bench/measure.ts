/** Side-by-side throughput and latency of async operations, for the bench scripts. */
export interface Measurement {
  readonly label: string;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly count: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Runs `op` from `concurrency` loops for `durationMs` after a warm-up, and reports operations
 * per second and per-operation latency percentiles.
 */
export async function measure(
  label: string,
  op: (i: number) => Promise<unknown>,
  { durationMs, concurrency, warmupMs }: { durationMs: number; concurrency: number; warmupMs: number },
): Promise<Measurement> {
  const warmupEnd = performance.now() + warmupMs;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmupEnd) await op(i++);
    }),
  );
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op(i++);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedS = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    label,
    opsPerSecond: latencies.length / elapsedS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    count: latencies.length,
  };
}

/** A fixed-width table of measurements, with each row's ratio to its baseline. */
export function formatComparison(rows: readonly { baseline: Measurement; candidate: Measurement }[]): string {
  const lines = [
    'operation                              ops/s     p50 ms   p99 ms   ratio vs bare',
    ...rows.flatMap(({ baseline, candidate }) => [
      row(baseline, ''),
      row(candidate, (candidate.opsPerSecond / baseline.opsPerSecond).toFixed(2)),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

function row(m: Measurement, ratio: string): string {
  return `${m.label.padEnd(36)} ${m.opsPerSecond.toFixed(0).padStart(7)}  ${m.p50Ms.toFixed(2).padStart(7)}  ${m.p99Ms
    .toFixed(2)
    .padStart(7)}   ${ratio}`;
}
