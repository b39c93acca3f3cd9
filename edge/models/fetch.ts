import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { EdgeError, EdgeErrorCode, errorMessage } from '../errors.js';
import type { ManifestFile } from './manifest.js';

/** Progress of one file, for a progress bar. */
export interface FetchProgress {
  readonly id: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
  readonly from: 'cache' | 'mirror' | 'download';
}

export interface FetchOptions {
  /** Where verified files live. */
  readonly cacheDir: string;
  /** Local folders to copy from before trying the network, in order. */
  readonly mirrorDirs: readonly string[];
  /** Whether to download from the manifest URL when no mirror has the file. @default true */
  readonly allowDownload?: boolean;
  readonly onProgress?: (progress: FetchProgress) => void;
}

/** `$ZEBRA_CACHE_DIR`, else `$XDG_CACHE_HOME/zebra`, else `~/.cache/zebra`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.ZEBRA_CACHE_DIR) return env.ZEBRA_CACHE_DIR;
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'zebra');
}

/** The mirror folders named by `$ZEBRA_MODELS_MIRROR` (colon-separated). */
export function mirrorDirsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.ZEBRA_MODELS_MIRROR ?? '').split(':').filter((d) => d.length > 0);
}

/** Where a manifest file lives in the cache. */
export function cachedPath(entry: ManifestFile, cacheDir: string): string {
  return join(cacheDir, entry.path);
}

/** SHA-256 of a file, hex; reports progress as it reads. */
export async function sha256File(path: string, onBytes?: (doneBytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let doneBytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    doneBytes += chunk.length;
    onBytes?.(doneBytes);
  }
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function verifyOrThrow(entry: ManifestFile, path: string, origin: string): Promise<void> {
  const actual = await sha256File(path);
  if (actual !== entry.sha256) {
    throw new EdgeError(
      EdgeErrorCode.MODEL_HASH_MISMATCH,
      `${entry.path} (${entry.id}) from ${origin}: SHA-256 is ${actual}, the manifest says ${entry.sha256}`,
    );
  }
}

async function findInMirrors(entry: ManifestFile, mirrorDirs: readonly string[]): Promise<string | undefined> {
  for (const dir of mirrorDirs) {
    for (const candidate of [join(dir, entry.path), join(dir, basename(entry.path))]) {
      if (await exists(candidate)) return candidate;
    }
  }
  return undefined;
}

async function download(entry: ManifestFile, dest: string, onBytes: (doneBytes: number) => void): Promise<void> {
  let response: Response;
  try {
    response = await fetch(entry.url, { redirect: 'follow' });
  } catch (err) {
    throw new EdgeError(
      EdgeErrorCode.MODEL_MISSING,
      `${entry.path}: download from ${entry.url} failed: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  if (!response.ok || !response.body) {
    throw new EdgeError(EdgeErrorCode.MODEL_MISSING, `${entry.path}: ${entry.url} answered HTTP ${response.status}`);
  }
  let doneBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      doneBytes += chunk.length;
      onBytes(doneBytes);
      done(null, chunk);
    },
  });
  // The cast names Node's web stream type; it differs from the DOM's only in typings.
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream), counter, createWriteStream(dest));
}

/**
 * Makes sure one manifest file is in the cache with the right hash and returns its path.
 * Order: the cache, then each mirror, then the URL. A file is only moved into place after its hash matched.
 */
export async function ensureFile(entry: ManifestFile, options: FetchOptions): Promise<string> {
  const dest = cachedPath(entry, options.cacheDir);
  const report = (doneBytes: number, from: FetchProgress['from']): void =>
    options.onProgress?.({ id: entry.id, doneBytes, totalBytes: entry.sizeBytes, from });
  if (await exists(dest)) {
    if ((await sha256File(dest, (n) => report(n, 'cache'))) === entry.sha256) return dest;
    await rm(dest);
  }
  await mkdir(dirname(dest), { recursive: true });
  const partial = `${dest}.partial-${process.pid}`;
  try {
    const mirrored = await findInMirrors(entry, options.mirrorDirs);
    if (mirrored) {
      await copyFile(mirrored, partial);
      report((await stat(partial)).size, 'mirror');
      await verifyOrThrow(entry, partial, mirrored);
    } else if (options.allowDownload ?? true) {
      await download(entry, partial, (n) => report(n, 'download'));
      await verifyOrThrow(entry, partial, entry.url);
    } else {
      const searched =
        options.mirrorDirs.length > 0 ? options.mirrorDirs.join(', ') : 'no mirror set (ZEBRA_MODELS_MIRROR)';
      throw new EdgeError(
        EdgeErrorCode.MODEL_MISSING,
        `${entry.path} (${entry.id}) is not in the cache or in ${searched}`,
      );
    }
    await rename(partial, dest);
    return dest;
  } finally {
    await rm(partial, { force: true });
  }
}
