import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../core/index.js';
import type { Database } from '../../core/index.js';
import { tempDir } from './temp.js';

/** Applies the migrations whose file names sort before `firstLeftOut` (to store rows a later one backfills). */
export async function migrateBefore(db: Database, firstLeftOut: string): Promise<void> {
  const source = fileURLToPath(new URL('../../core/db/migrations/', import.meta.url));
  await using dir = await tempDir('zebra-migrations-');
  for (const file of (await readdir(source)).filter((f) => f.endsWith('.sql') && f < firstLeftOut)) {
    await copyFile(join(source, file), join(dir.path, file));
  }
  await migrate(db, `${dir.path}/`);
}
