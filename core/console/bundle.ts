import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./app.ts', import.meta.url));
const BUFFER_SHIM = fileURLToPath(new URL('./buffer-shim.ts', import.meta.url));

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
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [grpcStandIn],
    inject: [BUFFER_SHIM],
    define: { 'globalThis.Buffer': 'Buffer' },
  }).then((result) => result.outputFiles[0]!.text);
  return bundled;
}
