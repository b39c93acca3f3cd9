#!/usr/bin/env node
// Entry point: runs the CLI. In a build (dist/) the CLI is JavaScript beside this file; in the
// source tree it is TypeScript, and the TypeScript loader (tsx, a dev dependency) is registered first.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

// grpc-js passes an IP address target (the default 127.0.0.1) as the TLS server name, which
// Node flags once per process (DEP0123); the certificate is still checked against that IP.
// Keep this one notice out of the CLI's output; every other warning is shown as before.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? rest[0].code : rest[1];
  if (code !== 'DEP0123') emitWarning(warning, ...rest);
};

// `zebra … | head`: the reader may close the pipe before the output ends. That ends the output,
// quietly, as with any Unix command; it is not a crash with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
}

const built = new URL('../cli/main.js', import.meta.url);
const fromBuild = existsSync(built);
if (!fromBuild) (await import('tsx/esm/api')).register();
const { main } = await import(fromBuild ? built.href : '../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
