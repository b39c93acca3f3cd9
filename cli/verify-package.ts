import type { KeyObject } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  EXTRACT_FORMAT_V2,
  isPdf,
  pdfAttachments,
  splitLines,
  storyLine,
  storySentence,
  timeWithMs,
  verifyExportLines,
} from '../core/index.js';
import { printProblems } from './audit.js';

export { isPdf };

/** Reads the first bytes of a file (to tell a PDF from an export). */
export async function headBytes(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await file.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * An evidence package: verifies the audit extract attached to the PDF against the pinned key,
 * then prints its entries as the custody story, to compare with the printed pages.
 */
export async function verifyPackage(file: string, publicKey: KeyObject): Promise<number> {
  const attachments = (await pdfAttachments(await readFile(file))).filter((a) => a.name.endsWith('.ndjson'));
  if (attachments.length !== 1)
    throw new Error(`${file} carries ${attachments.length} audit extracts (.ndjson attachments); a package has one`);
  const { name, bytes } = attachments[0]!;
  process.stdout.write(`${file}: checking the attached ${name}\n`);
  const result = await verifyExportLines(
    splitLines(Readable.from([Buffer.from(bytes)]) as AsyncIterable<Buffer>),
    publicKey,
  );
  if (result.header.format !== EXTRACT_FORMAT_V2) throw new Error(`${name} is not a ${EXTRACT_FORMAT_V2} extract`);
  process.stdout.write(
    `${result.entryCount} entries with inclusion proofs against the checkpoint of size ${result.headSize}\n`,
  );
  if (!result.isValid) {
    printProblems(result);
    return 1;
  }
  process.stdout.write(
    'OK: the checkpoint signature and every inclusion proof verify\n\nThe verified custody story:\n',
  );
  for (const text of Buffer.from(bytes).toString('utf8').split('\n')) {
    if (!text.startsWith('{"type":"entry"')) continue;
    const entry = JSON.parse(text) as Parameters<typeof storyLine>[0];
    process.stdout.write(`  ${timeWithMs(entry.atMs, 'utc')}  ${storySentence(storyLine(entry))}\n`);
  }
  return 0;
}
