import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./app.ts', import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * The console's script: app.ts and its imports bundled by esbuild into one ES module, once per
 * process, on first request. This is the console's whole build step.
 */
export function consoleScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text);
  return bundled;
}
