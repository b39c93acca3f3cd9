import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const PRODUCT_DIRS = ['edge', 'core', 'cli', 'proto', 'bin'];

/**
 * What would mean product code loads the redaction judge (YuNet, test/harness/judge.ts): its
 * name, its model folder, the judge harness, or anything under test/. (The bare word "judge"
 * is ordinary English in the product, e.g. judgeIngest, so names and paths are matched.)
 */
const FORBIDDEN = [/yunet/i, /models\/judge/i, /judge\.(ts|js|onnx)/i, /harness\/judge/i, /['"`][./]*\/?test\/harness/];

function judgeReferences(text: string): string[] {
  return FORBIDDEN.filter((p) => p.test(text)).map(String);
}

async function productFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await productFiles(path)));
    else if (/\.(ts|js|mjs|cjs|json|yaml|yml|proto)$/.test(entry.name)) out.push(path);
  }
  return out;
}

describe('the redaction judge stays out of the product', () => {
  it('the check flags every way of naming the judge', () => {
    expect(judgeReferences("import { YunetJudge } from '../test/harness/judge.js'").length).toBeGreaterThan(0);
    expect(judgeReferences("const p = 'models/judge/face_detection_yunet.onnx'").length).toBeGreaterThan(0);
    expect(judgeReferences("await import('../../test/harness/models.js')")).not.toEqual([]);
    expect(judgeReferences('export function judgeIngest() {}')).toEqual([]);
  });

  it('no file of edge/, core/, cli/, proto/ or bin/ references YuNet, its model folder or the test harness', async () => {
    const offenders: string[] = [];
    for (const dir of PRODUCT_DIRS) {
      for (const file of await productFiles(join(ROOT, dir))) {
        const refs = judgeReferences(await readFile(file, 'utf8'));
        if (refs.length > 0) offenders.push(`${relative(ROOT, file)}: ${refs.join(', ')}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('models/manifest.json, which the product loads models from, does not list the judge', async () => {
    expect(judgeReferences(await readFile(join(ROOT, 'models/manifest.json'), 'utf8'))).toEqual([]);
  });
});
