import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEdgeConfig } from '../../../edge/config.js';
import { EdgeErrorCode } from '../../../edge/errors.js';
import { DEFAULT_RULE_OPTIONS } from '../../../edge/rule/entry-rule.js';
import { DEFAULT_TRACKER_OPTIONS } from '../../../edge/track/tracker.js';

async function demoRaw(): Promise<Record<string, unknown>> {
  return parse(await readFile('edge/demo/edge.yaml', 'utf8')) as Record<string, unknown>;
}

function expectInvalid(raw: unknown, keyAndProblem: RegExp): void {
  expect(() => parseEdgeConfig(raw, '/base', {}, 'edge.yaml')).toThrow(
    expect.objectContaining({ code: EdgeErrorCode.CONFIG_INVALID, message: expect.stringMatching(keyAndProblem) }),
  );
}

describe('edge config: re-entry and identity-switch keys', () => {
  it('defaults the new keys when a config leaves them out (the demo does), and when it leaves out the sections', async () => {
    const raw = await demoRaw();
    const config = parseEdgeConfig(raw, '/base', {}, 'edge.yaml');
    expect(config.rule.reentryOutsideMs).toBe(DEFAULT_RULE_OPTIONS.reentryOutsideMs);
    expect(config.rule.edgeHysteresis).toBe(DEFAULT_RULE_OPTIONS.edgeHysteresis);
    expect(config.tracker.switchAreaRatio).toBe(DEFAULT_TRACKER_OPTIONS.switchAreaRatio);
    const bare = parseEdgeConfig({ ...raw, rule: undefined, tracker: undefined }, '/base', {}, 'edge.yaml');
    expect(bare.rule).toEqual(DEFAULT_RULE_OPTIONS);
    expect(bare.tracker).toEqual(DEFAULT_TRACKER_OPTIONS);
  });

  it('takes the keys as given', async () => {
    const raw = await demoRaw();
    const config = parseEdgeConfig(
      {
        ...raw,
        rule: { graceMs: 500, minDwellMs: 200, reentryOutsideMs: 2500, edgeHysteresis: 0.05 },
        tracker: { switchShiftBoxes: 0.4, switchShiftBoxesPerS: 2, switchAreaRatio: 3 },
      },
      '/base',
      {},
      'edge.yaml',
    );
    expect(config.rule).toEqual({ graceMs: 500, minDwellMs: 200, reentryOutsideMs: 2500, edgeHysteresis: 0.05 });
    expect(config.tracker.switchShiftBoxes).toBe(0.4);
    expect(config.tracker.switchShiftBoxesPerS).toBe(2);
    expect(config.tracker.switchAreaRatio).toBe(3);
  });

  it('names the key of a bad value', async () => {
    const raw = await demoRaw();
    const rule = raw.rule as Record<string, unknown>;
    const tracker = raw.tracker as Record<string, unknown>;
    expectInvalid({ ...raw, rule: { ...rule, reentryOutsideMs: -1 } }, /edge\.yaml: rule\.reentryOutsideMs: /);
    expectInvalid({ ...raw, rule: { ...rule, reentryOutsideMs: 1.5 } }, /edge\.yaml: rule\.reentryOutsideMs: /);
    expectInvalid(
      { ...raw, rule: { ...rule, edgeHysteresis: 0.3 } },
      /edge\.yaml: rule\.edgeHysteresis: must be in \[0,0\.25\]/,
    );
    expectInvalid(
      { ...raw, tracker: { ...tracker, switchAreaRatio: 1 } },
      /edge\.yaml: tracker\.switchAreaRatio: must be at least 1\.1/,
    );
    expectInvalid(
      { ...raw, tracker: { ...tracker, switchShiftBoxes: -0.1 } },
      /edge\.yaml: tracker\.switchShiftBoxes: /,
    );
    expectInvalid(
      { ...raw, tracker: { ...tracker, switchShiftBoxesPerS: 'fast' } },
      /edge\.yaml: tracker\.switchShiftBoxesPerS: /,
    );
    expectInvalid({ ...raw, rule: { ...rule, reentryOutsideMz: 1 } }, /edge\.yaml: .*reentryOutsideMz/);
  });
});
