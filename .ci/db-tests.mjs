// Prints the test files that use a database: those that, themselves or through the test
// harness modules they import, make one (createTestDatabase, a test core or stack, a core
// process, openDatabase, DATABASE_URL). CI runs only these a second time, on PostgreSQL;
// the rest (edge, ONNX, RTSP, pure units) run once, and so does a file that says
// `ci: once` in a comment (its database is incidental: it tests something else).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const testDir = join(root, 'test');
const USES_DB =
  /\b(createTestDatabase|migratedTestDatabase|openTestDatabase|startTestStack|startTestCore|startCoreProcess|startFaultSite|openDatabase|DATABASE_URL)\b/;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The modules under test/ that `file` imports. */
function testImports(file) {
  const found = [];
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = resolve(dirname(file), spec);
    const hit = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`].find((c) => existsSync(c) && statSync(c).isFile());
    if (hit && hit.startsWith(`${testDir}/`)) found.push(hit);
  }
  return found;
}

function usesDb(file, seen = new Set()) {
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  // The harness that makes databases mentions the names in its own definitions.
  if (file.endsWith('/harness/database.ts') || USES_DB.test(text)) return true;
  return testImports(file).some((f) => usesDb(f, seen));
}

for (const file of walk(testDir)
  .filter((f) => f.endsWith('.test.ts') && !/\bci: once\b/.test(readFileSync(f, 'utf8')))
  .sort())
  if (usesDb(file)) console.log(relative(root, file));
