import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EdgeErrorCode } from '../../../edge/errors.js';
import { FileSequencer } from '../../../edge/publish/sequencer.js';
import { tempDir } from '../../harness/temp.js';

describe('per-camera sequence file', () => {
  it('starts at 1 and survives a restart without reusing a number', async () => {
    await using dir = await tempDir();
    const first = await FileSequencer.open(dir.path, 'cam-1');
    expect([await first.next(), await first.next()]).toEqual([1, 2]);
    const again = await FileSequencer.open(dir.path, 'cam-1');
    expect(await again.next()).toBe(3);
    expect(await readFile(join(dir.path, 'seq-cam-1.txt'), 'utf8')).toBe('3');
  });

  it('refuses a corrupt counter instead of starting over', async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, 'seq-cam-1.txt'), 'garbage');
    await expect(FileSequencer.open(dir.path, 'cam-1')).rejects.toMatchObject({ code: EdgeErrorCode.STATE_INVALID });
  });
});
