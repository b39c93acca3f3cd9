import { createPublicKey } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfractionEvent } from '../../proto/index.js';
import { splitLines, verifyExportLines } from '../../core/index.js';
import { encodeClip } from '../../edge/evidence/clip.js';
import { ingestEvents } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { checkScreen, expectClean, launchBrowser } from './console-harness.js';
import type { ScreenCheck } from './console-harness.js';

const MIN_VIEW_MS = 800;

/** A synthetic "redacted frame": a street-like scene with no person in it. */
function syntheticFrame(): Promise<Buffer> {
  const scene = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">
      <rect width="640" height="360" fill="#7d8a7a"/><rect y="160" width="640" height="200" fill="#55595c"/>
      ${[0, 1, 2, 3, 4, 5, 6].map((i) => `<rect x="${180 + i * 40}" y="170" width="22" height="90" fill="#e8e8e8"/>`).join('')}
    </svg>`,
  );
  return sharp(scene).jpeg().toBuffer();
}

/** A synthetic redacted clip: the scene, 31 frames of WebM as the edge encodes them. */
async function syntheticClip(): Promise<Buffer> {
  const { data, info } = await sharp(await syntheticFrame())
    .raw()
    .toBuffer({ resolveWithObject: true });
  return (
    await encodeClip(
      Array.from({ length: 31 }, () => data),
      info.width,
      info.height,
      5,
    )
  ).bytes;
}

describe('the web console, driven in Chromium against a real core', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let events: InfractionEvent[];
  const tokens = new Map<string, string>();
  const checks: ScreenCheck[] = [];
  /** Every console message about a Content Security Policy: the console must cause none. */
  const cspErrors: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ review: { minEvidenceViewMs: MIN_VIEW_MS, knownAnswerShare: 0 } });
    for (const [user, role] of [
      ['rita', 'reviewer'],
      ['sam', 'supervisor'],
      ['sue', 'supervisor'],
      ['ada', 'auditor'],
      ['clerk', 'admin'],
    ] as const) {
      tokens.set(user, (await stack.core.person(user, [role])).token!);
    }
    events = await ingestEvents(stack, 2, 'cam-1', syntheticFrame, syntheticClip);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (err) => {
      throw err;
    });
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) cspErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.[Symbol.asyncDispose]();
  });

  const url = (hash = ''): string => `https://${stack.core.core.httpAddress}/${hash}`;

  async function signInAs(user: string): Promise<void> {
    await page.goto(url());
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(url());
    await page.getByLabel('API token').fill(tokens.get(user)!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#who').textContent()).toContain(user === 'clerk' ? 'clerk' : user);
  }

  async function status(): Promise<string> {
    return (await page.locator('#status').textContent()) ?? '';
  }

  it('signs in with a token and refuses a wrong one', async () => {
    const response = await page.goto(url());
    const headers = response!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    checks.push(await checkScreen(page, 'sign-in'));
    await page.getByLabel('API token').fill('zbt.0000000000000000.' + 'A'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(status).toContain('not valid');
  });

  it('a reviewer claims, views the evidence for the minimum time, confirms and links a reference', async () => {
    await signInAs('rita');
    await expect.poll(() => page.locator('li.item').count()).toBe(2);
    checks.push(await checkScreen(page, 'queue'));
    // Live: a new event appears without a reload.
    await ingestEvents(stack, 1, 'cam-2', syntheticFrame);
    await expect.poll(() => page.locator('li.item').count(), { timeout: 10_000 }).toBe(3);
    const eventId = events[0]!.eventId;
    await page
      .locator(`li[data-id="${eventId}"]`)
      .getByRole('button', { name: /^Claim/ })
      .click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('camera cam-1');
    const decide = page.getByRole('button', { name: /^Record decision/ });
    await expect(decide.isDisabled()).resolves.toBe(true);
    // Claimed to review it: the evidence opens with the item.
    await expect.poll(() => page.locator('.frame img').count()).toBe(1);
    // Evidence is fetched with the reviewer's token and shown from memory, never by its link.
    expect(await page.locator('.frame img').getAttribute('src')).toMatch(/^blob:/);
    expect(await page.locator('.frame video').getAttribute('src')).toMatch(/^blob:/);
    await expect
      .poll(() => page.locator('.frame img').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBeGreaterThan(0);
    // The clip plays in the browser: Chromium decodes the edge's WebM.
    await expect
      .poll(() => page.locator('.frame video').evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    expect(await page.locator('.frame video').evaluate((v: HTMLVideoElement) => v.duration)).toBeGreaterThan(5);
    // Seeking works on the in-memory clip.
    await page.locator('.frame video').evaluate((v: HTMLVideoElement) => {
      v.currentTime = 4;
    });
    await expect
      .poll(() => page.locator('.frame video').evaluate((v: HTMLVideoElement) => !v.seeking && v.currentTime > 3.5))
      .toBe(true);
    await expect.poll(() => decide.isDisabled(), { timeout: 5000 }).toBe(false);
    expect(await page.locator('main').textContent()).toContain('verified when the event arrived, against the key');
    checks.push(await checkScreen(page, 'first-review'));
    await page.getByRole('radio', { name: /^Confirm/ }).check();
    await page.getByRole('radio', { name: /clearly visible/ }).check();
    await decide.click();
    await expect.poll(status).toContain('Confirmed');
    await page.goto(url(`#/queue/QUEUE_KIND_LINK`));
    await page.locator(`li[data-id="${eventId}"] a`).first().click();
    await page.getByLabel('Citation number').fill('C-2026-0042');
    await page.getByLabel('Issuing officer').fill('PC 4411');
    await page.getByLabel('Subject reference').fill('DL-100-200');
    checks.push(await checkScreen(page, 'link-reference'));
    await page.getByRole('button', { name: 'Link reference' }).click();
    await expect.poll(status).toContain('Reference linked');
  });

  it('a supervisor approves blind, and the points are deducted', async () => {
    const eventId = events[0]!.eventId;
    await signInAs('sam');
    await page.goto(url('#/queue/QUEUE_KIND_SECOND_REVIEW'));
    await page.locator(`li[data-id="${eventId}"] a`).first().click();
    await expect.poll(() => page.locator('main').textContent()).toContain('Second review, blind');
    expect(await page.locator('main').textContent()).not.toContain('rita');
    await page.getByRole('button', { name: /^Open evidence/ }).click();
    const record = page.getByRole('button', { name: /^Record second decision/ });
    await expect.poll(() => record.isDisabled(), { timeout: 5000 }).toBe(false);
    checks.push(await checkScreen(page, 'second-review'));
    await page.getByRole('radio', { name: /^Approve/ }).check();
    await page.getByRole('radio', { name: /support the infraction/ }).check();
    await record.click();
    await expect.poll(status).toContain('Approved');
    await page.goto(url('#/ledger'));
    await page.getByLabel('Subject reference').fill('DL-100-200');
    await page.getByRole('button', { name: 'Show balance' }).click();
    await expect.poll(() => page.locator('main h2').last().textContent()).toBe('DL-100-200: 10 of 12 points');
    checks.push(await checkScreen(page, 'ledger'));
    await page.goto(url('#/quality'));
    await expect.poll(() => page.locator('tbody').textContent()).toContain('rita');
    checks.push(await checkScreen(page, 'quality'));
  });

  it('an admin files an appeal and manages people', async () => {
    await signInAs('clerk');
    await page.goto(url('#/ledger'));
    await page.getByLabel('Event id').fill(events[0]!.eventId);
    await page.getByLabel('Grounds').fill('The person named was abroad that day.');
    checks.push(await checkScreen(page, 'file-appeal'));
    await page.getByRole('button', { name: 'File appeal' }).click();
    await expect.poll(status).toContain('Appeal filed');
    await page.goto(url('#/admin'));
    await page.getByRole('button', { name: 'New enrolment code for rita' }).click();
    await expect.poll(() => page.locator('pre.token').textContent()).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    const code = (await page.locator('pre.token').textContent())!;
    checks.push(await checkScreen(page, 'people'));
    // rita enrols again on the sign-in page with the code the admin handed her.
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(url());
    await page.getByLabel('Enrolment code').fill(code);
    await page.getByRole('button', { name: 'Enrol' }).click();
    await expect.poll(() => page.locator('pre.token').textContent()).toMatch(/^zbt\./);
    checks.push(await checkScreen(page, 'enrolled'));
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.locator('#who').textContent()).toContain('rita');
  });

  it('a different supervisor upholds the appeal, and the points come back', async () => {
    const eventId = events[0]!.eventId;
    await signInAs('sue');
    await page.goto(url('#/queue/QUEUE_KIND_APPEAL'));
    await page.locator(`li[data-id="${eventId}"] a`).first().click();
    await page.getByRole('radio', { name: /^Uphold the appeal/ }).check();
    await page.getByRole('radio', { name: /names the wrong person/ }).check();
    checks.push(await checkScreen(page, 'appeal-decision'));
    await page.getByRole('button', { name: /^Record appeal decision/ }).click();
    await expect.poll(status).toContain('Appeal upheld');
    await page.goto(url('#/ledger'));
    await page.getByLabel('Subject reference').fill('DL-100-200');
    await page.getByRole('button', { name: 'Show balance' }).click();
    await expect.poll(() => page.locator('main h2').last().textContent()).toBe('DL-100-200: 12 of 12 points');
  });

  it('an auditor verifies the trail in the browser and reads the transparency report', async () => {
    const eventId = events[0]!.eventId;
    await signInAs('ada');
    await expect.poll(() => page.locator('main h1').textContent()).toBe('Audit');
    checks.push(await checkScreen(page, 'audit'));
    // The whole log, streamed into a file, verifies offline.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export the whole log' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('zebra-audit.ndjson');
    const exported = await verifyExportLines(
      splitLines(createReadStream(await download.path())),
      createPublicKey(stack.core.core.api.signer.publicKeyPem),
    );
    expect(exported).toMatchObject({ isValid: true, header: { format: 'zebra-audit-export/v2' } });
    await expect
      .poll(status)
      .toContain(`Exported ${exported.entryCount.toLocaleString('en')} entries to zebra-audit.ndjson`);
    await page.locator(`a[href="#/trail/${eventId}"]`).click();
    // The key is pinned by the auditor (pasted here), never taken from the server being audited.
    await page.getByLabel('Public key (PEM)').fill(stack.core.core.api.signer.publicKeyPem);
    await page.getByRole('button', { name: 'Pin this key' }).click();
    // As an auditor would: the fingerprint is shown once the key is pinned (it is checked first).
    await page.locator('.pinned .fingerprint').waitFor();
    await page.getByRole('button', { name: 'Verify the trail' }).click();
    // Every entry's inclusion proof is checked in the browser: seconds on a loaded machine.
    await expect
      .poll(() => page.locator('.verdict').textContent(), { timeout: 30_000 })
      .toMatch(/^Verified with your pinned key: .* all \d+ entries below are in it\.$/);
    const story = (await page.locator('ol.stories').innerText()).replace(/\s+/g, ' ');
    for (const words of [
      'received the event from camera cam-1',
      'rita confirmed the infraction at first review',
      'sam approved it at the blind second review',
      'deducted 2 points',
      'sue upheld the appeal',
      'gave back 2 points',
    ])
      expect(story).toContain(words);
    checks.push(await checkScreen(page, 'trail'));
    await page.goto(url(`#/item/${eventId}`));
    await expect.poll(() => page.locator('h1').textContent()).toContain('camera cam-1');
    checks.push(await checkScreen(page, 'auditor-evidence'));
    await page.goto(url('#/report'));
    await expect.poll(() => page.locator('tbody').textContent()).toContain('approved');
    checks.push(await checkScreen(page, 'report'));
  });

  it('cannot be framed by another origin', async () => {
    const framing = await browser.newPage();
    try {
      // about:blank (opaque origin) framing the console.
      await framing.setContent(`<iframe src="${url()}" title="console"></iframe>`);
      const frame = await framing.locator('iframe').elementHandle();
      await expect.poll(async () => (await frame.contentFrame())?.url() ?? '').toMatch(/^chrome-error:/);
      expect(await (await frame.contentFrame())!.locator('#main').count()).toBe(0);
    } finally {
      await framing.close();
    }
  });

  it('ran every screen with no Content Security Policy violation', () => {
    expect(cspErrors).toEqual([]);
  });

  it('every screen passes axe (no serious or critical), keyboard reachability, and has nothing overlapping', () => {
    expect(checks.map((c) => c.name)).toHaveLength(15);
    expectClean(checks);
  });
});
