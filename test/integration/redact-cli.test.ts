import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { UltrafaceOnnxDetector } from '../../edge/detect/face-detector.js';
import { manifestFile, testMirrors } from '../harness/models.js';
import { tempDir } from '../harness/temp.js';

describe('zebra redact', () => {
  it('redacts a folder, skips a corrupt image without writing it, and says so in its exit code', async () => {
    await using input = await tempDir();
    await using output = await tempDir();
    await copyFile((await manifestFile('city-image')).path, join(input.path, 'city.jpg'));
    await writeFile(join(input.path, 'broken.jpg'), 'not an image');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (lines.push(String(c)), true));
    vi.stubEnv('ZEBRA_MODELS_MIRROR', testMirrors().join(':'));
    let code: number;
    try {
      code = await main(['redact', input.path, '-o', output.path]);
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(code).toBe(1);
    expect(await readdir(output.path)).toEqual(['city.jpg']);
    expect(lines.join('')).toMatch(/broken\.jpg: not redacted, nothing written/);
    expect(lines.join('')).toMatch(/\[2\/2\] .*city\.jpg: \d+ faces, \d+ heads masked/);
    const face = await manifestFile('ultraface-rfb-640');
    const checker = await UltrafaceOnnxDetector.create(face.path, face.entry, {
      minScore: 0.5,
      nmsIou: 0.3,
      intraOpThreads: 1,
    });
    try {
      const { data, info } = await sharp(join(output.path, 'city.jpg'))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(await checker.detectFaces(data, info.width, info.height)).toEqual([]);
    } finally {
      await checker.dispose();
    }
  });
});
