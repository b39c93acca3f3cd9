import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { fileChecks, modelChecks, natsChecks, schemaChecks, streamChecks, zoneChecks } from './edge-check-parts.js';
import type { Check } from './edge-check-parts.js';

export interface EdgeCheckOpts {
  readonly config: string;
  /** Seconds each stream probe and the NATS connection may take. */
  readonly timeout: number;
}

/** The checklist for a terminal: ✓ or ✗, what, and the detail; then a count. */
export function formatChecklist(checks: readonly Check[]): string {
  const lines = checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.label}: ${c.detail}`);
  const bad = checks.filter((c) => !c.ok).length;
  lines.push(bad === 0 ? `all ${checks.length} checks passed` : `${bad} of ${checks.length} checks failed`);
  return `${lines.join('\n')}\n`;
}

/**
 * `zebra edge check --config FILE`: everything a device needs before it runs, checked in one
 * go (config keys, files, streams, zones, models, NATS and the core key), so that a
 * technician sees every mistake at once. Exit 1 on any ✗.
 */
export async function edgeCheck(opts: EdgeCheckOpts): Promise<number> {
  let raw: unknown;
  try {
    raw = parse(await readFile(opts.config, 'utf8'));
  } catch (err) {
    process.stdout.write(formatChecklist([{ ok: false, label: `config ${opts.config}`, detail: String(err) }]));
    return 1;
  }
  const baseDir = dirname(resolve(opts.config));
  const timeoutMs = opts.timeout * 1000;
  const groups = await Promise.all([
    Promise.resolve(schemaChecks(raw)),
    fileChecks(raw, baseDir),
    Promise.resolve(zoneChecks(raw)),
    streamChecks(raw, baseDir, timeoutMs),
    modelChecks(raw, baseDir, process.env),
    natsChecks(raw, baseDir, process.env, timeoutMs),
  ]);
  const checks = groups.flat();
  process.stdout.write(formatChecklist(checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}
