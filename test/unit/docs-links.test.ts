import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

async function filesUnder(dir: string, ends: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path, ends)));
    else if (ends.test(entry.name)) out.push(path);
  }
  return out;
}

const docs = async (): Promise<string[]> => ['README.md', ...(await filesUnder('docs', /\.md$/))];

/** Repository paths a text names: markdown link targets, and paths under the top-level folders. */
function namedPaths(text: string, from: string): string[] {
  const paths: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
    paths.push(relative(ROOT, join(ROOT, dirname(from), target!)));
  }
  const folders = '(?:docs|edge|core|cli|test|proto|deploy|models|bin)';
  const pattern = new RegExp(
    `(?<![\\w./-])${folders}/[\\w./-]*\\.(?:md|ts|js|yaml|yml|json|py|conf|proto|sql|html)(?![\\w/])`,
    'g',
  );
  for (const [path] of text.matchAll(pattern)) if (!path.includes('*')) paths.push(path);
  return paths;
}

describe('the README and docs', () => {
  it('name only files that exist', async () => {
    const missing: string[] = [];
    for (const file of await docs()) {
      const text = await readFile(join(ROOT, file), 'utf8');
      for (const path of namedPaths(text, file)) if (!existsSync(join(ROOT, path))) missing.push(`${file}: ${path}`);
    }
    expect(missing).toEqual([]);
  });

  it('keep the README under 10 KB', async () => {
    expect((await readFile(join(ROOT, 'README.md'))).length).toBeLessThan(10_000);
  });

  it('point nowhere outside the repository: no DESIGN.md, no numbered issues or rounds', async () => {
    const texts = [...(await docs()), ...(await filesUnder('edge', /\.ts$/)), ...(await filesUnder('core', /\.ts$/))];
    const stale: string[] = [];
    for (const file of texts) {
      const text = await readFile(join(ROOT, file), 'utf8');
      for (const [found] of text.matchAll(/DESIGN\.md/g)) stale.push(`${file}: ${found}`);
      for (const [found] of text.matchAll(/\bissue \d+\b|\b(?:this|previous|last) round\b/gi))
        stale.push(`${file}: ${found}`);
    }
    expect(stale).toEqual([]);
  });
});
