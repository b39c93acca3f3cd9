/**
 * The hand-labelled entries of bench:rule (test/fixtures/rule-labels/*.json) and how flagged
 * entries are matched to them. Pure apart from reading the files.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const Norm = z.number().min(0).max(1);

const Phase = z
  .object({
    aspect: z.enum(['walk', 'flashing_dont_walk', 'steady_dont_walk', 'dark']),
    durationMs: z.number().int().positive(),
  })
  .strict();

export const LabelClass = z.enum(['infraction', 'lawful', 'ambiguous']);
export type LabelClass = z.infer<typeof LabelClass>;

const LabelledEntry = z
  .object({
    id: z.string().min(1),
    /** Video time (ms) of the first 5 fps frame with the feet inside. */
    atMs: z.number().int().nonnegative(),
    /** Where the feet crossed, normalised [x, y]. */
    feet: z.tuple([Norm, Norm]),
    class: LabelClass,
    note: z.string().default(''),
  })
  .strict();
export type LabelledEntry = z.infer<typeof LabelledEntry>;

const LabelFile = z
  .object({
    video: z.string().min(1),
    zone: z
      .object({
        id: z.string().min(1),
        version: z.number().int().positive(),
        polygon: z.array(z.tuple([Norm, Norm])).min(3),
      })
      .strict(),
    schedule: z
      .object({
        id: z.string().min(1),
        version: z.number().int().positive(),
        offsetMs: z.number().int().nonnegative().default(0),
        cycle: z.array(Phase).min(1),
      })
      .strict(),
    /** The rule the labeller applied; bench:rule runs the product's defaults and says if they differ. */
    rule: z
      .object({ graceMs: z.number().int(), minDwellMs: z.number().int(), reentryOutsideMs: z.number().int() })
      .strict(),
    entries: z.array(LabelledEntry).min(1),
  })
  .strict();
export type LabelFile = z.infer<typeof LabelFile>;

/** Every label file in `dir`, by name. */
export async function loadLabelFiles(dir: string): Promise<{ name: string; labels: LabelFile }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => {
      const parsed = LabelFile.safeParse(JSON.parse(await readFile(join(dir, name), 'utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`${name}: ${issue.path.join('.')}: ${issue.message}`);
      }
      const ids = parsed.data.entries.map((e) => e.id);
      if (new Set(ids).size !== ids.length) throw new Error(`${name}: entry ids must be unique`);
      return { name, labels: parsed.data };
    }),
  );
}

/** An entry the rule flagged as an infraction: when and where the feet entered. */
export interface Flag {
  readonly atMs: number;
  readonly feet: readonly [number, number];
  readonly trackId: number;
}

export interface MatchWindow {
  /** A flag and a label match when their entry times are at most this far apart... */
  readonly ms: number;
  /** ...and their feet at most this far apart (normalised units). */
  readonly distance: number;
}

export interface MatchResult {
  readonly labelled: Record<LabelClass, number>;
  /** Flags on entries labelled infraction. */
  readonly truePositives: number;
  /** Flags on entries labelled lawful, and flags matching no labelled entry. */
  readonly falsePositives: number;
  /** Flags on entries labelled lawful (a subset of the false positives). */
  readonly wrongful: number;
  /** Flags on entries labelled ambiguous: counted neither way. */
  readonly ambiguousExcluded: number;
  readonly precision: number;
  readonly recall: number;
  /** Labelled infractions no flag matched. */
  readonly missed: readonly LabelledEntry[];
  /** Flags on lawful entries, and flags matching nothing, for the report. */
  readonly wrong: readonly { flag: Flag; label?: LabelledEntry }[];
}

/**
 * Matches flags to labelled entries one to one, closest in time first, within the window.
 * Pure.
 */
export function matchFlags(
  entries: readonly LabelledEntry[],
  flags: readonly Flag[],
  window: MatchWindow,
): MatchResult {
  const pairs: { e: number; f: number; dtMs: number }[] = [];
  entries.forEach((entry, e) =>
    flags.forEach((flag, f) => {
      const dtMs = Math.abs(flag.atMs - entry.atMs);
      const distance = Math.hypot(flag.feet[0] - entry.feet[0], flag.feet[1] - entry.feet[1]);
      if (dtMs <= window.ms && distance <= window.distance) pairs.push({ e, f, dtMs });
    }),
  );
  pairs.sort((a, b) => a.dtMs - b.dtMs || a.e - b.e || a.f - b.f);
  const labelOf = new Map<number, number>();
  const usedEntries = new Set<number>();
  for (const { e, f } of pairs) {
    if (labelOf.has(f) || usedEntries.has(e)) continue;
    labelOf.set(f, e);
    usedEntries.add(e);
  }
  const labelled: Record<LabelClass, number> = { infraction: 0, lawful: 0, ambiguous: 0 };
  for (const entry of entries) labelled[entry.class] += 1;
  let truePositives = 0;
  let wrongful = 0;
  let unmatched = 0;
  let ambiguousExcluded = 0;
  const wrong: { flag: Flag; label?: LabelledEntry }[] = [];
  flags.forEach((flag, f) => {
    const e = labelOf.get(f);
    const label = e === undefined ? undefined : entries[e]!;
    if (!label) {
      unmatched += 1;
      wrong.push({ flag });
    } else if (label.class === 'infraction') truePositives += 1;
    else if (label.class === 'ambiguous') ambiguousExcluded += 1;
    else {
      wrongful += 1;
      wrong.push({ flag, label });
    }
  });
  const falsePositives = wrongful + unmatched;
  const flagged = new Set([...labelOf.values()]);
  const missed = entries.filter((entry, e) => entry.class === 'infraction' && !flagged.has(e));
  return {
    labelled,
    truePositives,
    falsePositives,
    wrongful,
    ambiguousExcluded,
    precision: truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives),
    recall: labelled.infraction === 0 ? 1 : truePositives / labelled.infraction,
    missed,
    wrong,
  };
}
