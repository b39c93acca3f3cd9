import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResumePoint, resumeRequest } from '../../../cli/audit-export.js';
import { tempDir } from '../../harness/temp.js';
import type { TempDir } from '../../harness/temp.js';

const HEADER = '{"format":"zebra-audit-export/v2","origin":"o","exportedAtMs":1,"treeSize":3}\n';
const entry = (seq: number): string =>
  `{"type":"entry","seq":${seq},"atMs":1,"actor":"a","action":"b","subject":"c","details":{},"leafHash":"${'0'.repeat(64)}"}\n`;
const checkpoint = (size: number): string =>
  `{"type":"checkpoint","origin":"o","treeSize":${size},"rootHash":"","atMs":1,"keyId":"k","signature":""}\n`;

describe('where a cut export continues', () => {
  let work: TempDir;
  beforeAll(async () => (work = await tempDir()));
  afterAll(async () => work?.[Symbol.asyncDispose]());

  const at = async (text: string) => {
    const path = join(work.path, 'f');
    await writeFile(path, text);
    return findResumePoint(path);
  };

  it('keeps the complete lines through the last entry, dropping a partial line and trailing checkpoints', async () => {
    const body = HEADER + entry(0) + entry(1) + checkpoint(2);
    expect(await at(`${body}{"type":"ent`)).toMatchObject({
      keepBytes: (HEADER + entry(0) + entry(1)).length,
      fromSeq: 2,
    });
    expect(await at(HEADER + entry(0) + entry(1).slice(0, 20))).toMatchObject({
      keepBytes: (HEADER + entry(0)).length,
      fromSeq: 1,
    });
    expect(await at(HEADER)).toMatchObject({ keepBytes: HEADER.length, fromSeq: 0, isComplete: false });
    expect(await at(HEADER + checkpoint(1).slice(0, 9))).toMatchObject({ keepBytes: HEADER.length, fromSeq: 0 });
  });

  it('asks for the rest against the same head, and knows a complete file', async () => {
    const point = (await at(HEADER + entry(0)))!;
    expect(resumeRequest(point)).toEqual({ resume: true, fromSeq: 1, treeSize: 3 });
    expect(await at(`${HEADER}${entry(0)}{"type":"end","entries":1,"checkpoints":0}\n`)).toMatchObject({
      isComplete: true,
    });
  });

  it('starts again from a cut header, and refuses to touch a file that is not a v2 export', async () => {
    expect(await at(HEADER.slice(0, 30))).toBeUndefined();
    expect(await at('')).toBeUndefined();
    await expect(at('{"format":"zebra-audit-export/v1","entries":[]}')).rejects.toThrow(/cannot resume/);
    await expect(at(`${HEADER}not json\n`)).rejects.toThrow(/not an export line/);
  });
});
