import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultCacheDir, ensureFile, loadManifest, manifestEntry, mirrorDirsFromEnv } from '../../edge/index.js';
import type { ManifestFile } from '../../edge/index.js';

/** ../shared/data beside the checkout, where this workplace keeps the public files. */
export const SHARED_DATA = resolve(import.meta.dirname, '../../../shared/data');

/** Mirror folders for tests: ZEBRA_MODELS_MIRROR, then ../shared/data. No test downloads anything. */
export function testMirrors(): string[] {
  return [...mirrorDirsFromEnv(process.env), ...(existsSync(SHARED_DATA) ? [SHARED_DATA] : [])];
}

/** The verified local path of a manifest file, and its entry. */
export async function manifestFile(id: string): Promise<{ path: string; entry: ManifestFile }> {
  const entry = manifestEntry(await loadManifest(), id);
  const path = await ensureFile(entry, {
    cacheDir: defaultCacheDir(process.env),
    mirrorDirs: testMirrors(),
    allowDownload: false,
  });
  return { path, entry };
}

/** The first `seconds` of vtest.avi, stream-copied to `file` (a short camera for tests). */
export async function vtestClip(file: string, seconds: number): Promise<string> {
  const source = (await manifestFile('vtest-video')).path;
  execFileSync('ffmpeg', ['-loglevel', 'error', '-t', String(seconds), '-i', source, '-c', 'copy', file]);
  return file;
}
