// `node --import ./test/harness/forbid-compilers.js ...`: any import or require of tsx, esbuild
// or typescript fails with "forbidden import", in the main thread and in every worker thread (a
// worker inherits --import). The production build test runs dist/ under it.
import { createRequire, register } from 'node:module';
import { FORBIDDEN } from './forbid-compilers-hooks.js';

// ES modules: a resolve hook sees each specifier and the file it resolves to.
register('./forbid-compilers-hooks.js', import.meta.url);

// CommonJS require() (Node 20's hooks do not see it): checked where its file name is resolved.
const Module = createRequire(import.meta.url)('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const resolved = resolveFilename.call(this, request, parent, ...rest);
  if (FORBIDDEN.test(request) || FORBIDDEN.test(resolved))
    throw new Error(`forbidden import: ${request} from ${parent?.filename ?? 'the command line'}`);
  return resolved;
};
