import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EdgeErrorCode } from '../../../edge/errors.js';
import { ensureFile } from '../../../edge/models/fetch.js';
import type { ManifestFile } from '../../../edge/models/manifest.js';
import { loadManifest } from '../../../edge/models/manifest.js';
import { tempDir } from '../../harness/temp.js';

const CONTENT = Buffer.from('weights');

function entry(overrides: Partial<ManifestFile> = {}): ManifestFile {
  return {
    id: 'tiny',
    kind: 'model',
    path: 'models/tiny.onnx',
    url: 'https://example.invalid/tiny.onnx',
    sha256: createHash('sha256').update(CONTENT).digest('hex'),
    sizeBytes: CONTENT.length,
    license: 'MIT',
    description: 'test',
    ...overrides,
  };
}

describe('models fetch', () => {
  it('the committed manifest is valid and names every shared file', async () => {
    const manifest = await loadManifest();
    expect(manifest.files.map((f) => f.id).sort()).toEqual([
      'city-image',
      'ultraface-rfb-320',
      'ultraface-rfb-640',
      'vtest-video',
      'yolox-nano',
    ]);
  });

  it('copies from a mirror by path or by file name, verifies, and reports progress', async () => {
    await using mirror = await tempDir();
    await using cache = await tempDir();
    await writeFile(join(mirror.path, 'tiny.onnx'), CONTENT);
    const seen: string[] = [];
    const path = await ensureFile(entry(), {
      cacheDir: cache.path,
      mirrorDirs: [mirror.path],
      allowDownload: false,
      onProgress: (p) => seen.push(p.from),
    });
    expect(path).toBe(join(cache.path, 'models/tiny.onnx'));
    expect(seen).toContain('mirror');
    // second call is served from the cache
    seen.length = 0;
    await ensureFile(entry(), {
      cacheDir: cache.path,
      mirrorDirs: [],
      allowDownload: false,
      onProgress: (p) => seen.push(p.from),
    });
    expect(seen).toEqual(['cache']);
  });

  it('names the file when it is missing everywhere', async () => {
    await using cache = await tempDir();
    await expect(
      ensureFile(entry(), { cacheDir: cache.path, mirrorDirs: ['/nonexistent'], allowDownload: false }),
    ).rejects.toMatchObject({
      code: EdgeErrorCode.MODEL_MISSING,
      message: expect.stringContaining('models/tiny.onnx'),
    });
  });

  it('refuses a mirror file whose hash differs, and leaves nothing in the cache', async () => {
    await using mirror = await tempDir();
    await using cache = await tempDir();
    await mkdir(join(mirror.path, 'models'));
    await writeFile(join(mirror.path, 'models/tiny.onnx'), 'tampered');
    await expect(
      ensureFile(entry(), { cacheDir: cache.path, mirrorDirs: [mirror.path], allowDownload: false }),
    ).rejects.toMatchObject({
      code: EdgeErrorCode.MODEL_HASH_MISMATCH,
      message: expect.stringMatching(/models\/tiny\.onnx.*SHA-256/),
    });
    await expect(
      ensureFile(entry(), { cacheDir: cache.path, mirrorDirs: [], allowDownload: false }),
    ).rejects.toMatchObject({
      code: EdgeErrorCode.MODEL_MISSING,
    });
  });
});
