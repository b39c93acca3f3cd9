import { copyFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../cli/main.js';
import { defaultCacheDir } from '../../edge/index.js';
import { manifestFile, vtestClip } from '../harness/models.js';
import { tempDir } from '../harness/temp.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('zebra edge snapshot', () => {
  it('writes one redacted frame of the camera with its zone drawn', async () => {
    await using work = await tempDir();
    await Promise.all(['yolox-nano', 'ultraface-rfb-640'].map((id) => manifestFile(id)));
    const clip = await vtestClip(join(work.path, 'clip.avi'), 2);
    await copyFile(resolve(import.meta.dirname, '../../edge/demo/signal-schedule.yaml'), join(work.path, 's.yaml'));
    const polygon = [
      [0.2, 0.2],
      [0.8, 0.2],
      [0.8, 0.8],
      [0.2, 0.8],
    ];
    const config = join(work.path, 'edge.yaml');
    await writeFile(
      config,
      stringify({
        deviceId: 'dev-1',
        siteId: 'site-1',
        stateDir: 'state',
        nats: { servers: ['tls://127.0.0.1:1'] },
        models: { cacheDir: defaultCacheDir(process.env), allowDownload: false },
        cameras: [
          {
            id: 'cam-1',
            source: { input: clip },
            zone: { id: 'z1', version: 3, polygon },
            signal: { schedule: 's.yaml' },
          },
        ],
      }),
    );
    const out = join(work.path, 'zone.jpg');
    const r = await cli(['edge', 'snapshot', '--config', config, '--camera', 'cam-1', '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /wrote .*zone\.jpg: camera cam-1, 768x576, (\d+) people, \d+ faces and (\d+) heads masked, zone z1 v3 drawn/,
    );
    const [, people, heads] = /(\d+) people, \d+ faces and (\d+) heads/.exec(r.out)!;
    expect(Number(people)).toBeGreaterThan(0);
    expect(Number(heads)).toBe(Number(people)); // every person's head is masked
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([768, 576]);
    // The middle of the zone's top edge is drawn in the outline colour (#ffd400, JPEG-close).
    const at = (x: number, y: number): number[] => [...data.subarray((y * 768 + x) * 3, (y * 768 + x) * 3 + 3)];
    const [red, green, blue] = at(384, Math.round(0.2 * 576));
    expect(red).toBeGreaterThan(200);
    expect(green).toBeGreaterThan(170);
    expect(blue).toBeLessThan(90);

    const unknown = await cli(['edge', 'snapshot', '--config', config, '--camera', 'cam-9', '-o', out]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/--camera cam-9: the config has cameras cam-1/);
  }, 120_000);
});
