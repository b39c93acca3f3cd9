import { execFileSync } from 'node:child_process';
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { UltrafaceOnnxDetector } from '../../edge/detect/face-detector.js';
import { manifestFile, testMirrors } from '../harness/models.js';
import { tempDir } from '../harness/temp.js';

/** Runs CLI commands in this process with the test mirror; returns their exit codes and stderr. */
async function runCli(commands: string[][]): Promise<{ codes: number[]; lines: string[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c) => (lines.push(String(c)), true));
  vi.stubEnv('ZEBRA_MODELS_MIRROR', testMirrors().join(':'));
  const codes: number[] = [];
  try {
    for (const args of commands) codes.push(await main(args));
  } finally {
    spy.mockRestore();
    vi.unstubAllEnvs();
  }
  return { codes, lines };
}

describe('zebra redact', () => {
  it('redacts a folder, skips a corrupt image without writing it, and says so in its exit code', async () => {
    await using input = await tempDir();
    await using output = await tempDir();
    await copyFile((await manifestFile('city-image')).path, join(input.path, 'city.jpg'));
    await writeFile(join(input.path, 'broken.jpg'), 'not an image');
    const { codes, lines } = await runCli([['redact', input.path, '-o', output.path]]);
    expect(codes).toEqual([1]);
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

  it('redacts a video with masks carried along tracks; every written frame is face-free; a corrupt video writes nothing', async () => {
    await using work = await tempDir();
    const input = join(work.path, 'short.avi');
    execFileSync('ffmpeg', [
      '-loglevel',
      'error',
      '-t',
      '2',
      '-i',
      (await manifestFile('vtest-video')).path,
      '-c',
      'copy',
      input,
    ]);
    const output = join(work.path, 'short.webm');
    const corrupt = join(work.path, 'corrupt.avi');
    await writeFile(corrupt, Buffer.alloc(4096, 7));
    const { codes, lines } = await runCli([
      ['redact', input, '-o', output],
      ['redact', corrupt, '-o', join(work.path, 'corrupt.webm')],
      ['redact', input, '-o', join(work.path, 'wrong.gif')],
    ]);
    expect(codes).toEqual([0, 1, 1]);
    expect(lines.join('')).toMatch(/short\.avi: 20 frames, \d+ faces, \d+ heads masked -> .*short\.webm/);
    expect(lines.join('')).toMatch(/corrupt\.avi: not redacted, nothing written/);
    expect(lines.join('')).toMatch(/a video is written as \.webm or \.mp4/);
    expect((await readdir(work.path)).sort()).toEqual(['corrupt.avi', 'short.avi', 'short.webm']);
    const raw = execFileSync(
      'ffmpeg',
      ['-loglevel', 'error', '-i', output, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
      {
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    const size = 768 * 576 * 3;
    expect(raw.length / size).toBe(20);
    const face = await manifestFile('ultraface-rfb-640');
    const checker = await UltrafaceOnnxDetector.create(face.path, face.entry, {
      minScore: 0.5,
      nmsIou: 0.3,
      intraOpThreads: 1,
    });
    try {
      for (let i = 0; i < 20; i++) {
        expect(await checker.detectFaces(raw.subarray(i * size, (i + 1) * size), 768, 576), `frame ${i}`).toEqual([]);
      }
    } finally {
      await checker.dispose();
    }
  });
});
