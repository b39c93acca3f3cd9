import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEdgeConfig, parseEdgeConfig } from '../../../edge/config.js';
import { EdgeErrorCode } from '../../../edge/errors.js';
import { loadPinnedKey } from '../../../edge/pinned-key.js';
import { tempDir } from '../../harness/temp.js';

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

  it('refuses a health listener without TLS, naming http.tls', async () => {
    expectInvalid(
      { ...(await demoRaw()), http: { listen: '127.0.0.1:9464' } },
      /edge\.yaml: http\.tls: .*no cleartext/,
    );
    const config = parseEdgeConfig(
      {
        ...(await demoRaw()),
        http: { listen: '127.0.0.1:9464', tls: { certFile: 'pki/e.pem', keyFile: 'pki/e-key.pem' } },
      },
      '/base',
      {},
      'edge.yaml',
    );
    expect(config.http.tls).toEqual({ certFile: '/base/pki/e.pem', keyFile: '/base/pki/e-key.pem' });
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

  it("requires the controller's pinned key with a controller feed, naming the key, and resolves its path", async () => {
    const raw = await demoRaw();
    const camera = (raw.cameras as { signal: unknown }[])[0]!;
    camera.signal = { controller: { id: 'ctl-1' } };
    expectInvalid(raw, /cameras\.0\.signal\.controller\.keyFile: /);
    camera.signal = { controller: { id: 'ctl-1', keyFile: 'keys/ctl-1.pem' } };
    expect(parseEdgeConfig(raw, '/base', {}, 'edge.yaml').cameras[0]!.signal.controller!.keyFile).toBe(
      '/base/keys/ctl-1.pem',
    );
  });

  it('reads the clock state from the system by default, and names a bad clock key', async () => {
    const raw = await demoRaw();
    expect(parseEdgeConfig(raw, '/base', {}, 'edge.yaml').clock).toEqual({
      source: 'auto',
      pollIntervalMs: 10_000,
      maxOffsetMs: 100,
    });
    expectInvalid({ ...raw, clock: { source: 'config' } }, /^edge\.yaml: clock\.source: /);
    expectInvalid({ ...raw, clock: { synced: true } }, /^edge\.yaml: clock: .*synced/);
  });

  it("names the camera's controller keyFile when the key is not Ed25519", async () => {
    await using dir = await tempDir();
    const rsa = join(dir.path, 'rsa.pem');
    await writeFile(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    await expect(loadPinnedKey(rsa, 'cameras.cam-1.signal.controller.keyFile', 'hint')).rejects.toMatchObject({
      code: EdgeErrorCode.CONFIG_INVALID,
      message: expect.stringMatching(
        /^cameras\.cam-1\.signal\.controller\.keyFile: .*rsa\.pem: key type is rsa, not ed25519/,
      ),
    });
  });

  it('names a missing file', async () => {
    await expect(loadEdgeConfig('/nonexistent/edge.yaml', {})).rejects.toMatchObject({
      code: EdgeErrorCode.CONFIG_INVALID,
      message: expect.stringContaining('/nonexistent/edge.yaml'),
    });
  });
});
