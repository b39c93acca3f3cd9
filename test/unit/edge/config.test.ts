import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEdgeConfig, parseEdgeConfig } from '../../../edge/config.js';
import { EdgeErrorCode } from '../../../edge/errors.js';

const DEMO = 'edge/demo/edge.yaml';

async function demoRaw(): Promise<Record<string, unknown>> {
  return parse(await readFile(DEMO, 'utf8')) as Record<string, unknown>;
}

function expectInvalid(raw: unknown, keyAndProblem: RegExp): void {
  expect(() => parseEdgeConfig(raw, '/base', {}, 'edge.yaml')).toThrow(
    expect.objectContaining({ code: EdgeErrorCode.CONFIG_INVALID, message: expect.stringMatching(keyAndProblem) }),
  );
}

describe('edge config', () => {
  it('loads the demo config, resolves paths against its folder and freezes it', async () => {
    const config = await loadEdgeConfig(DEMO, {});
    expect(config.cameras[0]!.signal.schedule).toMatch(/edge\/demo\/signal-schedule\.yaml$/);
    expect(config.cameras[0]!.source.input).toBe('sample:vtest-video');
    expect(Object.isFrozen(config.cameras[0]!.zone)).toBe(true);
  });

  it('lets ZEBRA_NATS_URL override the servers', async () => {
    expect((await loadEdgeConfig(DEMO, { ZEBRA_NATS_URL: 'nats://a:1,nats://b:2' })).nats.servers).toEqual([
      'nats://a:1',
      'nats://b:2',
    ]);
  });

  it('rejects an unknown key by name', async () => {
    expectInvalid({ ...(await demoRaw()), cameraz: [] }, /edge\.yaml: .*cameraz/);
  });

  it('rejects a zone point outside [0,1] naming the path', async () => {
    const raw = await demoRaw();
    (raw.cameras as { zone: { polygon: number[][] } }[])[0]!.zone.polygon[1] = [1.5, 0.2];
    expectInvalid(raw, /cameras\.0\.zone\.polygon\.1\.0: must be in \[0,1\]/);
  });

  it('rejects a device id that cannot be a subject token', async () => {
    expectInvalid({ ...(await demoRaw()), deviceId: 'dev.1' }, /deviceId: must be 1-64 characters/);
  });

  it('rejects duplicate camera ids', async () => {
    const raw = await demoRaw();
    const cameras = raw.cameras as unknown[];
    expectInvalid({ ...raw, cameras: [cameras[0], cameras[0]] }, /cameras\.1\.id: duplicate camera id "cam-1"/);
  });

  it('names a missing file', async () => {
    await expect(loadEdgeConfig('/nonexistent/edge.yaml', {})).rejects.toMatchObject({
      code: EdgeErrorCode.CONFIG_INVALID,
      message: expect.stringContaining('/nonexistent/edge.yaml'),
    });
  });
});
