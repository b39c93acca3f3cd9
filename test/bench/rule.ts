/**
 * bench:rule — rule accuracy on hand-labelled entries (test/fixtures/rule-labels/, see its
 * README): vtest.avi replayed through the edge's decoder, YOLOX worker, gating, tracker and
 * entry rule with each labelled zone and signal schedule; every flagged entry (an infraction,
 * enforcement not suspended) is matched to the labels by time and place. Prints per zone the
 * labelled counts, true and false positives, precision, recall, wrongful flags (on entries
 * labelled lawful) and the flags on ambiguous entries (excluded), then the misses and the
 * wrong flags one by one.
 *
 * BENCH_FPS (default 5): detect fps, as the demo camera. BENCH_RULE_CACHE=<dir>: keep the
 * detector's output there between runs (the replay itself always runs).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createEdgeLogger, parseEdgeConfig } from '../../edge/index.js';
import type { EdgeConfig } from '../../edge/index.js';
import { feetPoint } from '../../edge/rule/geometry.js';
import { matchFlags } from './rule-labels.js';
import type { Flag, MatchWindow } from './rule-labels.js';
import { loadLabelFiles } from './rule-labels.js';
import { perceive, replayZone } from './rule-replay.js';

const FPS = Number(process.env.BENCH_FPS ?? 5);
const LABELS_DIR = 'test/fixtures/rule-labels';
/** A flag matches a label when it entered within 1 s and 0.08 frame sizes of it. */
const WINDOW: MatchWindow = { ms: 1000, distance: 0.08 };
const TARGET = { precision: 0.95, recall: 0.9, wrongful: 0 };

async function productConfig(): Promise<EdgeConfig> {
  const raw = parse(await readFile('edge/demo/edge.yaml', 'utf8')) as Record<string, unknown>;
  // The product's defaults for the tracker and the rule, not the demo's file values.
  const rest: Record<string, unknown> = { ...raw, stateDir: '/tmp/unused' };
  delete rest.tracker;
  delete rest.rule;
  return parseEdgeConfig(rest, join(process.cwd(), 'edge/demo'), {}, 'bench');
}

const pct = (v: number): string => v.toFixed(2);
const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
const time = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const config = await productConfig();
  const logger = createEdgeLogger('warn', process.stderr);
  const files = await loadLabelFiles(LABELS_DIR);
  process.stderr.write(`decoding vtest.avi at ${FPS} fps, motion and YOLOX on every frame...\n`);
  const started = performance.now();
  const frames = await perceive(config, FPS, logger, process.env.BENCH_RULE_CACHE);
  process.stderr.write(`  ${frames.length} frames in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  const lines = [
    `bench:rule on vtest.avi at ${FPS} fps; rule ${JSON.stringify(config.rule)}; tracker switch checks ` +
      `shift ${config.tracker.switchShiftBoxes} + ${config.tracker.switchShiftBoxesPerS}/s boxes, area x${config.tracker.switchAreaRatio}`,
    `match: flag within ${WINDOW.ms} ms and ${WINDOW.distance} of a labelled entry; targets precision >= ${TARGET.precision}, recall >= ${TARGET.recall}, ${TARGET.wrongful} wrongful`,
    '',
  ];
  let allMet = true;
  for (const { name, labels } of files) {
    for (const key of ['graceMs', 'minDwellMs', 'reentryOutsideMs'] as const)
      if (labels.rule[key] !== config.rule[key])
        lines.push(`  NOTE ${name}: labelled with rule.${key} ${labels.rule[key]}, replayed with ${config.rule[key]}`);
    const replay = replayZone(frames, labels.zone, labels.schedule, config);
    const flags: Flag[] = replay.decisions
      .filter((d) => d.outcome === 'infraction' && d.suspendedReasons.length === 0)
      .map((d) => ({ atMs: d.entry.capturedAtMs, feet: feetPoint(d.entry.box), trackId: d.trackId }));
    const m = matchFlags(labels.entries, flags, WINDOW);
    const met = m.precision >= TARGET.precision && m.recall >= TARGET.recall && m.wrongful <= TARGET.wrongful;
    allMet &&= met;
    const reentries = replay.decisions.filter((d) => d.entryNumber > 1).length;
    lines.push(
      `zone ${labels.zone.id} (${name}), schedule ${labels.schedule.id}`,
      `  labelled       ${labels.entries.length} entries: ${m.labelled.infraction} infraction, ${m.labelled.lawful} lawful, ${m.labelled.ambiguous} ambiguous`,
      `  decided        ${replay.decisions.length} entries (${reentries} re-entries of a track), ${flags.length} flagged; ` +
        `${replay.tracksStarted} tracks, ${replay.switchesRefused} jumps split, detector on ${replay.detectorFrames}/${frames.length} frames`,
      `  flags          TP ${m.truePositives}  FP ${m.falsePositives}  wrongful ${m.wrongful}  on ambiguous (excluded) ${m.ambiguousExcluded}`,
      `  precision      ${pct(m.precision)}  recall ${pct(m.recall)}  wrongful ${m.wrongful}: ${verdict(met)}`,
      ...m.missed.map((e) => `  missed         ${e.id} at ${time(e.atMs)} feet [${e.feet.join(', ')}] ${e.note}`),
      ...m.wrong.map(
        ({ flag, label }) =>
          `  wrong flag     track ${flag.trackId} at ${time(flag.atMs)} feet [${flag.feet.map((v) => v.toFixed(3)).join(', ')}]: ` +
          (label ? `labelled lawful (${label.id}: ${label.note})` : 'no labelled entry there'),
      ),
      '',
    );
  }
  lines.push(`all zones: ${verdict(allMet)}`, '');
  process.stdout.write(lines.join('\n'));
}

await main();
