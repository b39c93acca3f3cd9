// Signature thread bootstrap: loads ./verify-thread.js in a build (dist/); in the source tree, registers the
// TypeScript loader (tsx, a dev dependency) in this thread and loads ./verify-thread.ts.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const built = new URL('./verify-thread.js', import.meta.url);
if (existsSync(built)) await import(built.href);
else {
  (await import('tsx/esm/api')).register();
  await import('./verify-thread.ts');
}
