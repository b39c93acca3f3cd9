import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/**
 * Seconds each integration file took in a CI run on 2 cores (test/durations.json, from the
 * run's per-file lines). A fresh clone has no vitest cache, so vitest would start files by
 * size, and a 4-minute fault file could start last and run alone while the other worker idles.
 */
const SECONDS = JSON.parse(readFileSync(new URL('../durations.json', import.meta.url), 'utf8')) as Record<
  string,
  number
>;

/**
 * Vitest's order (projects, group order), then, within a project, the longest files first, so
 * the last files to finish are short ones. Files not in the table (new ones, of unknown length)
 * start before all of them, as vitest starts files it has no time for.
 */
export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const seconds = (f: TestSpecification): number => SECONDS[relative(root, f.moduleId)] ?? Infinity;
    const groups: TestSpecification[][] = [];
    for (const file of base) {
      const last = groups.at(-1);
      if (last && last[0]!.project.name === file.project.name) last.push(file);
      else groups.push([file]);
    }
    // Array.prototype.sort is stable: equal times keep vitest's order.
    return groups.flatMap((group) =>
      [...group].sort((a, b) => (seconds(a) === seconds(b) ? 0 : seconds(b) - seconds(a))),
    );
  }
}
