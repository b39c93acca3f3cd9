import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfAttachments } from '../../core/index.js';
import type { InfractionEvent } from '../../proto/index.js';
import { testHttps } from '../harness/pki.js';
import { approve, confirmAndLink, ingestEvents } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { tempDir } from '../harness/temp.js';
import type { TempDir } from '../harness/temp.js';
import { checkScreen, expectClean, launchBrowser } from './console-harness.js';
import type { ScreenCheck } from './console-harness.js';

function syntheticFrame(): Promise<Buffer> {
  return sharp(
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360"><rect width="640" height="360" fill="#7d8a7a"/><rect y="160" width="640" height="200" fill="#55595c"/></svg>',
    ),
  )
    .jpeg()
    .toBuffer();
}

/**
 * The text a person reads on the screen, outside <details> sections (where ids and hashes
 * belong), with what a screen must not show: raw enum names or codes, unfilled values, epoch
 * numbers, UUIDs.
 */
async function rawValues(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest('details, script, style, textarea') || parent.offsetParent === null) continue;
      out.push(n.textContent ?? '');
    }
    return out.join('\n');
  });
  const patterns: [string, RegExp][] = [
    ['enum', /\b[A-Z]{2,}(?:_[A-Z]+){2,}\b/g],
    ['code', /\b[a-z]+_[a-z]+(?:_[a-z]+)*\b/g],
    ['unfilled', /\bundefined\b|\bNaN\b|\[object Object\]/g],
    ['epoch', /\b1[6-9]\d{11}\b/g],
    ['uuid', /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi],
  ];
  return patterns.flatMap(([kind, re]) => [...text.matchAll(re)].map((m) => `${kind}: ${m[0]}`));
}

/** A verdict waits for every entry's proof to be checked in the browser: seconds on a loaded machine. */
const VERIFYING = { timeout: 30_000 };
describe('the auditor in Chromium: a custody story verified against a pinned key', () => {
  let stack: TestStack;
  let work: TempDir;
  let browser: Browser;
  let page: Page;
  let events: InfractionEvent[];
  let token: string;
  const checks: ScreenCheck[] = [];
  const raw: string[] = [];

  beforeAll(async () => {
    work = await tempDir();
    stack = await startTestStack({ review: { minEvidenceViewMs: 150, knownAnswerShare: 0 } });
    const rita = await stack.core.person('rita', ['reviewer']);
    const sam = await stack.core.person('sam', ['supervisor']);
    token = (await stack.core.person('ada', ['auditor'])).token!;
    events = await ingestEvents(stack, 2, 'cam-1', syntheticFrame);
    await approve(sam, events[0]!.eventId, await confirmAndLink(rita, events[0]!.eventId, 'DL-100-200'));
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page.on('pageerror', (err) => {
      throw err;
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.[Symbol.asyncDispose]();
    await work?.[Symbol.asyncDispose]();
  });

  const url = (hash = ''): string => `https://${stack.core.core.httpAddress}/${hash}`;
  const verdict = (): Promise<string> =>
    page
      .locator('.verdict')
      .textContent()
      .then((t) => t ?? '');
  async function look(name: string): Promise<void> {
    checks.push(await checkScreen(page, name));
    raw.push(...(await rawValues(page)).map((r) => `${name}: ${r}`));
  }

  it('signs in as the auditor and is told that no key is pinned', async () => {
    await page.goto(url());
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Audit');
    await expect.poll(() => page.locator('main').textContent()).toContain('No log key is pinned in this browser');
    await look('auditor-audit');
  });

  it('tells nothing before a key is pinned, then the story in words once it verifies', async () => {
    const eventId = events[0]!.eventId;
    await page.locator(`a[href="#/trail/${eventId}"]`).click();
    await expect.poll(verdict).toContain('Pin the log key above');
    expect(await page.locator('li.story').count()).toBe(0);
    await page.getByLabel('Public key (PEM)').fill(stack.core.core.api.signer.publicKeyPem);
    await page.getByRole('button', { name: 'Pin this key' }).click();
    await expect
      .poll(verdict, VERIFYING)
      .toMatch(/^Verified with your pinned key: .* all \d+ entries below are in it\.$/);
    expect(await page.locator('.fingerprint').textContent()).toBe(stack.core.core.api.signer.keyId);
    const title = (await page.locator('h1').textContent())!;
    expect(title).toMatch(/^Custody of the event on cam-1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d$/);
    const story = (await page.locator('ol.stories').innerText()).replace(/\s+/g, ' ');
    for (const words of [
      'Device dev-1 received the event from camera cam-1',
      'rita opened the evidence. Why: review',
      "rita confirmed the infraction at first review. Why: Entry after steady DON'T WALK is clearly visible Looked at the evidence for:",
      'rita linked the lawful reference, citation C-',
      'sam approved it at the blind second review. Why: The evidence and the reference support the infraction',
      'The system (ledger) deducted 2 points, counting until 20',
    ])
      expect(story).toContain(words);
    expect(await page.locator('li.story[data-ok="false"]').count()).toBe(0);
    await look('auditor-trail');
    // The pin survives a reload (localStorage), and verification runs again on its own.
    await page.reload();
    await expect.poll(verdict, VERIFYING).toMatch(/^Verified with your pinned key/);
  });

  it('fails in the browser when an entry is tampered with on its way from the server', async () => {
    const eventId = events[0]!.eventId;
    await page.route('**/api/v1/zebra.v1.AuditService/GetCustodyReport', async (route) => {
      // Playwright's own fetch does not trust the test CA: the real answer comes through ours.
      const response = await testHttps(route.request().url(), {
        method: 'POST',
        headers: { authorization: route.request().headers().authorization!, 'content-type': 'application/json' },
        body: route.request().postData() ?? '{}',
      });
      const body = response.json() as { steps: { canonicalEntry: string }[] };
      for (const step of body.steps) {
        const text = Buffer.from(step.canonicalEntry, 'base64').toString('utf8');
        if (text.includes('"reason":"clear_infraction"'))
          step.canonicalEntry = Buffer.from(
            text.replace('"reason":"clear_infraction"', '"reason":"evidence_unclear"'),
          ).toString('base64');
      }
      await route.fulfill({ status: response.status, json: body });
    });
    try {
      await page.reload();
      expect(page.url()).toBe(url(`#/trail/${eventId}`));
      await expect.poll(verdict, VERIFYING).toMatch(/^FAILED: 1 of \d+ entries are not in the signed log\.$/);
      expect(await page.locator('.verdict').getAttribute('data-ok')).toBe('false');
      expect(await page.locator('li.story[data-ok="false"]').count()).toBe(1);
      // The tampered words are never told as if they were true.
      const main = (await page.locator('main').textContent())!;
      expect(main).not.toContain('The evidence does not show the infraction clearly');
      expect(main).not.toContain('rita confirmed the infraction');
      await look('auditor-trail-tampered');
    } finally {
      await page.unroute('**/api/v1/zebra.v1.AuditService/GetCustodyReport');
    }
  });

  it('fails with a key that is not the log key, and verifies again with the right key loaded from a file', async () => {
    await page.reload();
    await expect.poll(verdict, VERIFYING).toMatch(/^Verified/);
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await page.getByText('Pin another key').click();
    await page.getByLabel('Public key (PEM)').fill(other);
    await page.getByRole('button', { name: 'Pin this key' }).click();
    await expect.poll(verdict, VERIFYING).toMatch(/^FAILED: the checkpoint is not signed by your pinned key; /);
    await expect.poll(() => page.locator('main').textContent()).toContain('The server now signs with another key');
    const keyFile = join(work.path, 'audit.pub.pem');
    await writeFile(keyFile, stack.core.core.api.signer.publicKeyPem);
    await page.getByText('Pin another key').click();
    await page.getByLabel('Or load the key file').setInputFiles(keyFile);
    await expect.poll(() => page.locator('.fingerprint').textContent()).toBe(stack.core.core.api.signer.keyId);
    await expect.poll(verdict, VERIFYING).toMatch(/^Verified with your pinned key/);
  });

  it('downloads the evidence package, with its purpose recorded', async () => {
    await page.getByLabel('Purpose').fill('court hearing 2026/114');
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 20_000 }).catch(async (err: Error) => {
        throw new Error(
          `${err.message}; status: ${await page.locator('#status').textContent()}; core: ${JSON.stringify(stack.core.logs.find('http request failed'))}`,
        );
      }),
      page.getByRole('button', { name: 'Download the evidence package (PDF)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^zebra-evidence-cam-1-\d{4}-\d\d-\d\d\.pdf$/);
    const pdf = await readFile(await download.path());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const [attachment] = await pdfAttachments(pdf);
    expect(Buffer.from(attachment!.bytes).toString('utf8')).toContain('"purpose":"court hearing 2026/114"');
  });

  it('reads the transparency report with filters, words and a CSV', async () => {
    await page.goto(url('#/report'));
    await expect.poll(() => page.locator('tbody').textContent()).toContain('approved');
    expect(await page.locator('tbody').textContent()).toContain(
      'The evidence and the reference support the infraction',
    );
    expect(await page.getByLabel('Camera').locator('option').allTextContents()).toEqual(['All cameras', 'cam-1']);
    await look('auditor-report');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export as CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\r\n')[0]).toBe('period_start_utc,camera,stage,stage_label,reason,reason_label,count');
    expect(csv).toMatch(
      /\d{4}-\d\d-\d\d,cam-1,approved,approved at second review,evidence_supports,The evidence and the reference support the infraction,1\r\n/,
    );
    // A period with nothing in it says so, rather than showing the last year.
    await page.getByLabel('From').fill('2020-01-01');
    await page.getByLabel('To').fill('2020-01-31');
    await page.getByLabel('To').dispatchEvent('change');
    await expect.poll(() => page.locator('main').textContent()).toContain('Nothing was counted in this period.');
  });

  it('reads a balance in words', async () => {
    await page.goto(url('#/ledger'));
    await page.getByLabel('Subject reference').fill('DL-100-200');
    await page.getByRole('button', { name: 'Show balance' }).click();
    await expect.poll(() => page.locator('main h2').last().textContent()).toBe('DL-100-200: 10 of 12 points');
    expect(await page.locator('tbody').textContent()).toContain('points deducted');
    await look('auditor-ledger');
  });

  it('every auditor screen is clean: axe, keyboard, no overlap, and no raw value outside a details section', () => {
    expect(checks.map((c) => c.name)).toHaveLength(5);
    expectClean(checks);
    expect(raw).toEqual([]);
  });
});
