// The production build: `npm run build` writes dist/, which runs with plain Node (no tsx,
// esbuild or typescript). Type checking is `npm run typecheck`; this only transpiles.
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build as esbuild, stop as stopEsbuild } from 'esbuild';
import { CONSOLE_BUNDLE_FILE, bundleConsoleScript } from '../core/console/bundle.js';

const ROOT = resolve(import.meta.dirname, '..');
const BUILD_TSCONFIG = join(ROOT, 'tsconfig.build.json');

export interface BuildResult {
  readonly outDir: string;
  /** TypeScript modules transpiled to .js. */
  readonly modules: number;
  /** Other files copied as they are (worker entries, SQL, HTML, YAML, JSON, .proto). */
  readonly copied: number;
  readonly consoleBytes: number;
}

/** The folders shipped, as tsconfig.build.json lists them (test/ is not). */
async function shippedFolders(): Promise<string[]> {
  const { include } = JSON.parse(await readFile(BUILD_TSCONFIG, 'utf8')) as { include: string[] };
  return include;
}

/**
 * Transpiles every .ts module of the shipped folders to .js at the same relative path (the
 * sources already import with .js extensions), copies every other file beside them, adds
 * package.json (ESM, and the version the code reads) and writes the console's browser bundle.
 */
export async function buildDist(outDir: string): Promise<BuildResult> {
  const out = resolve(outDir);
  await rm(out, { recursive: true, force: true });
  const files: string[] = [];
  for (const folder of await shippedFolders()) {
    for (const entry of await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(relative(ROOT, join(entry.parentPath, entry.name)));
    }
  }
  const modules = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const others = files.filter((f) => !f.endsWith('.ts'));
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: modules,
    outdir: out,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: BUILD_TSCONFIG,
    logLevel: 'warning',
  }).finally(() => stopEsbuild());
  for (const file of [...others, 'package.json']) {
    await mkdir(dirname(join(out, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(out, file));
  }
  const script = await bundleConsoleScript();
  await writeFile(join(out, 'core/console', CONSOLE_BUNDLE_FILE), script);
  return { outDir: out, modules: modules.length, copied: others.length, consoleBytes: Buffer.byteLength(script) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const startedMs = performance.now();
  const result = await buildDist(process.argv[2] ?? join(ROOT, 'dist'));
  process.stdout.write(
    `built ${relative(process.cwd(), result.outDir) || '.'}: ${result.modules} modules, ${result.copied} files copied, ` +
      `console ${Math.round(result.consoleBytes / 1024)} KiB, in ${Math.round(performance.now() - startedMs)} ms\n`,
  );
}
