import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseEdgeConfig } from '../../../edge/config.js';
import { EdgeErrorCode } from '../../../edge/errors.js';
import { redactorOptionsFromConfig, smallFaceModelId } from '../../../edge/redact/redactor-config.js';

async function demoRaw(): Promise<Record<string, unknown>> {
  return parse(await readFile('edge/demo/edge.yaml', 'utf8')) as Record<string, unknown>;
}

describe('redaction and evidence config', () => {
  it('the demo runs need-to-know evidence; without the key it is off; the search defaults to multi-scale', async () => {
    const raw = await demoRaw();
    const demo = parseEdgeConfig(raw, '/base', {}, 'edge.yaml');
    expect(demo.evidence.needToKnow).toBe(true);
    expect(redactorOptionsFromConfig(demo, 'yolox-nano')).toMatchObject({
      faceSearch: 'multi-scale',
      tileScale: 2,
      evidence: { needToKnow: true, cadence: { fullEveryFrames: 10, lightEveryFrames: 5 } },
    });
    const plain = parseEdgeConfig({ ...raw, evidence: {} }, '/base', {}, 'edge.yaml');
    expect(plain.evidence.needToKnow).toBe(false);
    expect(parseEdgeConfig({ ...raw, evidence: undefined }, '/base', {}, 'edge.yaml').evidence.needToKnow).toBe(false);
  });

  it('loads UltraFace-320 beside the face model by default; none, or the same model, loads nothing more', async () => {
    const raw = await demoRaw();
    const parse = (redaction: object) => parseEdgeConfig({ ...raw, redaction }, '/base', {}, 'edge.yaml').redaction;
    expect(smallFaceModelId(parse({}))).toBe('ultraface-rfb-320');
    expect(smallFaceModelId(parse({ smallFaceModel: 'none' }))).toBeUndefined();
    expect(smallFaceModelId(parse({ faceModel: 'ultraface-rfb-320' }))).toBeUndefined();
  });

  it.each([
    [{ redaction: { smallFaceModel: 'yunet' } }, /redaction\.smallFaceModel/],
    [{ evidence: { needToKnow: 'yes' } }, /evidence\.needToKnow/],
    [{ redaction: { faceSearch: 'everywhere' } }, /redaction\.faceSearch/],
    [{ redaction: { tileScale: 9 } }, /redaction\.tileScale/],
    [{ redaction: { fullSearchEveryFrames: 0 } }, /redaction\.fullSearchEveryFrames/],
    [{ redaction: { lightSearchEveryFrames: 1.5 } }, /redaction\.lightSearchEveryFrames/],
  ])('refuses %j naming the key', async (patch, key) => {
    const raw = await demoRaw();
    expect(() => parseEdgeConfig({ ...raw, ...patch }, '/base', {}, 'edge.yaml')).toThrow(
      expect.objectContaining({ code: EdgeErrorCode.CONFIG_INVALID, message: expect.stringMatching(key) }),
    );
  });
});
