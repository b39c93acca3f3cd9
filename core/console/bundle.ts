import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';

const ENTRY = fileURLToPath(new URL('./app.ts', import.meta.url));
const BUFFER_SHIM = fileURLToPath(new URL('./buffer-shim.ts', import.meta.url));

/** The console's script as `npm run build` writes it, beside this module in dist/. */
export const CONSOLE_BUNDLE_FILE = 'app.bundle.js';

/** This module runs from the TypeScript sources (dev, demo, tests), not from a build. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * The console uses the generated messages' JSON codecs (proto/gen), whose files also define
 * gRPC clients from @grpc/grpc-js, a Node library. The browser never makes those clients, so
 * the bundle gets an empty stand-in for the two names the generated code calls at load.
 */
const grpcStandIn: Plugin = {
  name: 'grpc-js-stand-in',
  setup(b) {
    b.onResolve({ filter: /^@grpc\/grpc-js$/ }, () => ({ path: 'grpc-js', namespace: 'stand-in' }));
    b.onLoad({ filter: /.*/, namespace: 'stand-in' }, () => ({
      contents: 'export class Client {}\nexport function makeGenericClientConstructor() { return class {}; }\n',
      loader: 'js',
    }));
  },
};

/**
 * app.ts and its imports bundled by esbuild into one ES module: run by `npm run build`, and at
 * core start in the source tree. esbuild is a dev dependency, imported only here and only then.
 */
export async function bundleConsoleScript(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild
    .build({
      entryPoints: [ENTRY],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [grpcStandIn],
      inject: [BUFFER_SHIM],
      define: { 'globalThis.Buffer': 'Buffer' },
    })
    // esbuild's service process is not needed after this: no child outlives the bundling.
    .finally(() => esbuild.stop());
  return result.outputFiles[0]!.text;
}

async function readBuiltScript(): Promise<string> {
  const file = new URL(`./${CONSOLE_BUNDLE_FILE}`, import.meta.url);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CoreError(
      CoreErrorCode.CONFIG_INVALID,
      `the console script ${fileURLToPath(file)} is missing from this build (npm run build writes it): ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

let script: Promise<string> | undefined;

/**
 * The console's script, once per process: read from the build, or bundled from the sources.
 * The HTTP server awaits it before it listens, so no request waits for (or fails on) a build.
 */
export function consoleScript(): Promise<string> {
  script ??= FROM_SOURCE ? bundleConsoleScript() : readBuiltScript();
  return script;
}
