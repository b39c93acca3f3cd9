import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PDFDict, PDFDocument, PDFName } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../cli/api-client.js';
import { main } from '../../cli/main.js';
import { pdfAttachments } from '../../core/index.js';
import type { InfractionEvent } from '../../proto/index.js';
import { testHttps, testPki } from '../harness/pki.js';
import { approve, confirmAndLink, ingestEvents } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { tempDir } from '../harness/temp.js';
import type { TempDir } from '../harness/temp.js';

const run = promisify(execFile);
/** Where the rendered pages are left for a person to look at. */
const PAGES_DIR = resolve(import.meta.dirname, '../../test-results/evidence-package');

/** poppler-utils must be installed (.ci/run does); a missing tool fails the test, never skips it. */
async function tool(name: string, args: string[]): Promise<string> {
  try {
    return (await run(name, args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`${name} is missing: install Debian's poppler-utils (apt-get install -y poppler-utils)`);
    throw err;
  }
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    spyOut.mockRestore();
    spyErr.mockRestore();
  }
}

/** A synthetic redacted keyframe: a street with a crossing, no person. */
function frame(): Promise<Buffer> {
  const stripes = [0, 1, 2, 3, 4, 5, 6]
    .map((i) => `<rect x="${200 + i * 36}" y="170" width="20" height="80" fill="#e8e8e8"/>`)
    .join('');
  return sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360"><rect width="640" height="360" fill="#7d8a7a"/><rect y="150" width="640" height="210" fill="#55595c"/>${stripes}</svg>`,
    ),
  )
    .jpeg()
    .toBuffer();
}

/** The same PDF with its attachment replaced by `ndjson`: what a forger would hand over. */
async function withAttachment(pdf: Uint8Array, name: string, ndjson: string): Promise<Uint8Array> {
  const doc = await PDFDocument.load(pdf);
  doc.catalog.lookup(PDFName.of('Names'), PDFDict).delete(PDFName.of('EmbeddedFiles'));
  await doc.attach(Buffer.from(ndjson), name, { mimeType: 'application/x-ndjson' });
  return doc.save();
}

describe('the evidence package: a PDF a court clerk can check offline', () => {
  let stack: TestStack;
  let work: TempDir;
  let events: InfractionEvent[];
  let args: (user: string) => string[];
  let pem: string;
  let pdfPath: string;
  let pdf: Buffer;

  beforeAll(async () => {
    work = await tempDir();
    stack = await startTestStack({ review: { minEvidenceViewMs: 150, knownAnswerShare: 0 } });
    const { caFile } = await testPki();
    const people = new Map<string, ApiClient>();
    for (const [user, role] of [
      ['rita', 'reviewer'],
      ['sam', 'supervisor'],
      ['ada', 'auditor'],
    ] as const) {
      const client = await stack.core.person(user, [role]);
      people.set(user, client);
      await writeFile(join(work.path, `${user}.token`), client.token!);
    }
    args = (user) => [
      '--http',
      stack.core.core.httpAddress,
      '--ca',
      caFile,
      '--token-file',
      join(work.path, `${user}.token`),
    ];
    pem = join(work.path, 'audit.pub.pem');
    await writeFile(pem, stack.core.core.api.signer.publicKeyPem);
    events = await ingestEvents(stack, 2, 'cam-1', frame);
    const version = await confirmAndLink(people.get('rita')!, events[0]!.eventId, 'DL-100-200');
    await approve(people.get('sam')!, events[0]!.eventId, version);
    await confirmAndLink(people.get('rita')!, events[1]!.eventId, 'DL-100-300');
    pdfPath = join(work.path, 'package.pdf');
    const made = await cli([
      'evidence',
      'package',
      events[0]!.eventId,
      '-o',
      pdfPath,
      '--purpose',
      'court hearing 2026/114',
      ...args('ada'),
    ]);
    expect(made.code, made.err).toBe(0);
    pdf = await readFile(pdfPath);
  }, 120_000);

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await work?.[Symbol.asyncDispose]();
  });

  it('renders: every page becomes an image, and the text says what happened, in words', async () => {
    const info = await tool('pdfinfo', [pdfPath]);
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(3);
    await rm(PAGES_DIR, { recursive: true, force: true });
    await mkdir(PAGES_DIR, { recursive: true });
    await writeFile(join(PAGES_DIR, 'package.pdf'), pdf);
    await tool('pdftoppm', ['-r', '80', '-png', pdfPath, join(PAGES_DIR, 'page')]);
    const rendered = (await readdir(PAGES_DIR)).filter((f) => /^page-\d+\.png$/.test(f));
    expect(rendered).toHaveLength(pages);
    const text = await tool('pdftotext', ['-layout', pdfPath, '-']);
    for (const words of [
      'Evidence package',
      'Camera cam-1 at site site-1',
      'Rule "entry into the crosswalk on steady DON\'T WALK"',
      'verified at ingest against the registered device key',
      "steady DON'T WALK, entered 5.0 s after steady DON'T WALK began",
      'a schedule file, not a controller',
      "Entry after steady DON'T WALK is clearly visible",
      'rita confirmed the infraction at first review',
      'sam approved it at the blind second review',
      'The evidence and the reference support the infraction',
      'ada printed the evidence package: court hearing 2026/114',
      'zebra audit verify THIS_FILE.pdf --public-key audit.pub.pem',
      stack.core.core.api.signer.keyId,
    ])
      expect(text.replace(/\s+/g, ' ')).toContain(words);
    expect(text).not.toMatch(/\bundefined\b|\bNaN\b|\[object Object\]/);
  });

  it('carries the keyframe bytes the device signed, unaltered', async () => {
    await tool('pdfimages', ['-all', pdfPath, join(work.path, 'img')]);
    const images = (await readdir(work.path)).filter((f) => f.startsWith('img-'));
    expect(images).toHaveLength(1);
    const bytes = await readFile(join(work.path, images[0]!));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(events[0]!.evidence[0]!.sha256Hex);
  });

  it('zebra audit verify accepts the proofs it carries and prints the verified story', async () => {
    const verified = await cli(['audit', 'verify', pdfPath, '--public-key', pem]);
    expect(verified.code, verified.out + verified.err).toBe(0);
    expect(verified.out).toContain('OK: the checkpoint signature and every inclusion proof verify');
    expect(verified.out).toContain(
      'sam approved it at the blind second review: The evidence and the reference support',
    );
    // poppler's pdfdetach finds the same attachment: the check needs no zebra to get at it.
    expect(await tool('pdfdetach', ['-list', pdfPath])).toMatch(
      /1 embedded files\n1: zebra-evidence-cam-1-.*\.audit\.ndjson/,
    );
  });

  it('zebra audit verify rejects a tampered copy', async () => {
    const [attachment] = await pdfAttachments(pdf);
    const text = Buffer.from(attachment!.bytes).toString('utf8');
    expect(text).toContain('"reason":"clear_infraction"');
    const tampered = join(work.path, 'tampered.pdf');
    await writeFile(
      tampered,
      await withAttachment(
        pdf,
        attachment!.name,
        text.replace('"reason":"clear_infraction"', '"reason":"evidence_unclear"'),
      ),
    );
    const result = await cli(['audit', 'verify', tampered, '--public-key', pem]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/FAIL .*not in the signed tree/);
    expect(result.out).not.toContain('OK:');
    // The untouched copy made the same way still verifies: the failure is the change, not the re-attaching.
    const same = join(work.path, 'same.pdf');
    await writeFile(same, await withAttachment(pdf, attachment!.name, text));
    expect((await cli(['audit', 'verify', same, '--public-key', pem])).code).toBe(0);
  });

  it('is refused to a reviewer, and before the review is over', async () => {
    const url = (id: string): string =>
      `https://${stack.core.core.httpAddress}/api/events/${id}/evidence-package.pdf?purpose=check`;
    const asReviewer = await cli([
      'evidence',
      'package',
      events[0]!.eventId,
      '-o',
      join(work.path, 'r.pdf'),
      '--purpose',
      'x',
      ...args('rita'),
    ]);
    expect(asReviewer.code).toBe(1);
    expect(asReviewer.err).toContain('HTTP 403');
    const waiting = await cli([
      'evidence',
      'package',
      events[1]!.eventId,
      '-o',
      join(work.path, 'w.pdf'),
      '--purpose',
      'x',
      ...args('sam'),
    ]);
    expect(waiting.code).toBe(1);
    expect(waiting.err).toContain('once the review is over');
    expect((await testHttps(url(events[0]!.eventId))).status).toBe(401);
  });
});
