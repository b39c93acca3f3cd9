import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import { UNKNOWN_CLOCK } from './signal.js';
import type { SignalAspect, SignalReading, SignalSource } from './signal.js';

const Phase = z.object({
  aspect: z.enum(['walk', 'flashing_dont_walk', 'steady_dont_walk', 'dark']),
  durationMs: z.number().int().positive(),
});

const ScheduleFile = z
  .object({
    id: z.string().min(1).describe('Identifies this schedule in every event it decided'),
    version: z.number().int().positive(),
    /** Milliseconds into the cycle at which the first frame falls. */
    offsetMs: z.number().int().nonnegative().default(0),
    cycle: z.array(Phase.strict()).min(1),
  })
  .strict();

export type Schedule = z.infer<typeof ScheduleFile>;

/** Reads and validates a signal schedule (YAML or JSON). */
export async function loadSchedule(path: string): Promise<Schedule> {
  let raw: unknown;
  try {
    raw = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.SIGNAL_SCHEDULE_INVALID, `cannot read ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const parsed = ScheduleFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EdgeError(EdgeErrorCode.SIGNAL_SCHEDULE_INVALID, `${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** The aspect and its start at `atMs` in a cycle that starts at `cycleStartMs`. Pure. */
export function scheduledAspect(
  schedule: Schedule,
  cycleStartMs: number,
  atMs: number,
): { aspect: SignalAspect; beganAtMs: number } {
  const cycleMs = schedule.cycle.reduce((sum, p) => sum + p.durationMs, 0);
  const sinceStartMs = atMs - cycleStartMs + schedule.offsetMs;
  const intoCycleMs = ((sinceStartMs % cycleMs) + cycleMs) % cycleMs;
  let phaseStartMs = 0;
  for (const phase of schedule.cycle) {
    if (intoCycleMs < phaseStartMs + phase.durationMs) {
      return { aspect: phase.aspect, beganAtMs: atMs - (intoCycleMs - phaseStartMs) };
    }
    phaseStartMs += phase.durationMs;
  }
  throw new Error('unreachable: the cycle covers every instant');
}

/** A signal source that follows a fixed schedule from `cycleStartMs` (demos and tests). */
export class ScheduleSignalSource implements SignalSource {
  readonly #schedule: Schedule;
  readonly #cycleStartMs: number;

  constructor(schedule: Schedule, cycleStartMs: number) {
    this.#schedule = schedule;
    this.#cycleStartMs = cycleStartMs;
  }

  readingAt(atMs: number): SignalReading {
    const { aspect, beganAtMs } = scheduledAspect(this.#schedule, this.#cycleStartMs, atMs);
    return {
      aspect,
      aspectBeganAtMs: beganAtMs,
      msSinceSteadyDontWalk: aspect === 'steady_dont_walk' ? atMs - beganAtMs : 0,
      source: 'schedule_file',
      sourceId: `${this.#schedule.id}@${this.#schedule.version}`,
      readAtMs: atMs,
      isStale: false,
      clock: UNKNOWN_CLOCK,
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
