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
