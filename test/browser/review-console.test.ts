// ci: once. The screens are the subject; the review rules behind them run on both databases in
// review-api, review-service and blind-review, so CI does not run this again on PostgreSQL.
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../cli/api-client.js';
import { ReviewState } from '../../proto/index.js';
import type { InfractionEvent } from '../../proto/index.js';
import { encodeClip } from '../../edge/evidence/clip.js';
import { ingestEvents } from '../harness/review.js';
import type { ItemView } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { checkScreen, expectClean, launchBrowser } from './console-harness.js';
import type { ScreenCheck } from './console-harness.js';
import { rawText } from './text-scan.js';

/** Short enough for 50 items in a test, long enough that the gate is seen working. */
const MIN_VIEW_MS = 300;
const SHIFT = 50;
/** The first reviewer, as the supervisor must never see them: id and display name. */
const FIRST_ID = 'rv-3141';
const FIRST_NAME = 'Rowena Quill';

function syntheticFrame(): Promise<Buffer> {
  const scene = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">
      <rect width="640" height="360" fill="#7d8a7a"/><rect y="160" width="640" height="200" fill="#55595c"/>
      ${[0, 1, 2, 3, 4, 5, 6].map((i) => `<rect x="${180 + i * 40}" y="170" width="22" height="90" fill="#e8e8e8"/>`).join('')}
    </svg>`,
  );
  return sharp(scene).jpeg().toBuffer();
}

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

describe('the review console: no defaults, a keyboard shift, a blind supervisor, readable screens', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let sam: ApiClient;
  let clerk: ApiClient;
  let withClip: InfractionEvent[];
  const tokens = new Map<string, string>();
  const checks: ScreenCheck[] = [];
  const raw: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ review: { minEvidenceViewMs: MIN_VIEW_MS, knownAnswerShare: 0 } });
    clerk = await stack.core.person('clerk', ['admin']);
    const { enrolmentCode } = await clerk.call<{ enrolmentCode: string }>('/zebra.v1.AdminService/CreateUser', {
      userId: FIRST_ID,
      displayName: FIRST_NAME,
      roles: ['ROLE_REVIEWER'],
    });
    tokens.set(FIRST_ID, await stack.core.enrol(enrolmentCode));
    sam = await stack.core.person('sam', ['supervisor']);
    const sue = await stack.core.person('sue', ['supervisor']);
    tokens.set('sam', sam.token!);
    tokens.set('sue', sue.token!);
    withClip = await ingestEvents(stack, 1, 'cam-1', syntheticFrame, syntheticClip);
    await ingestEvents(stack, SHIFT, 'cam-2', syntheticFrame);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (err) => {
      throw err;
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.[Symbol.asyncDispose]();
  });

  const url = (hash = ''): string => `https://${stack.core.core.httpAddress}/${hash}`;

  async function signInAs(user: string, shownAs: string): Promise<void> {
    await page.goto(url());
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(url());
    await page.getByLabel('API token').fill(tokens.get(user)!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#who').textContent()).toContain(shownAs);
  }

  const status = async (): Promise<string> => (await page.locator('#status').textContent()) ?? '';

  /** Screenshots at both sizes with axe, keys and overlap checks, and the raw-text scan. */
  async function screen(name: string): Promise<void> {
    raw.push(...(await rawText(page)).map((r) => `${name}: ${r}`));
    checks.push(await checkScreen(page, name));
  }

  /** Waits for the item page of `itemId` with its evidence open and the viewing time passed. */
  async function readyOn(itemId: string): Promise<void> {
    try {
      await expect
        .poll(() => page.locator(`section#decide[data-item="${itemId}"] .countdown`).textContent(), { timeout: 15_000 })
        .toContain('Minimum viewing time reached');
    } catch (err) {
      await page.screenshot({ path: 'test-results/review-debug.png', fullPage: true });
      console.log(page.url(), await page.locator('body').innerText());
      console.log(JSON.stringify(stack.core.logs.lines.filter((l) => Number(l.level) >= 50).slice(-3)));
      throw err;
    }
  }

  it('refuses the decision button pressed with no explicit choice, in the browser and on the server', async () => {
    await page.goto(url());
    await expect.poll(() => page.getByLabel('API token').count()).toBe(1);
    await screen('sign-in');
    await signInAs(FIRST_ID, FIRST_NAME);
    await expect.poll(() => page.locator('li.item').count()).toBe(SHIFT + 1);
    await screen('review-queue');
    const eventId = withClip[0]!.eventId;
    await page
      .locator(`li[data-id="${eventId}"]`)
      .getByRole('button', { name: /^Claim/ })
      .click();
    await readyOn(eventId);
    // Nothing is chosen for the reviewer: no radio checked, no reason list yet.
    expect(await page.locator('#decide input[type=radio]:checked').count()).toBe(0);
    const record = page.getByRole('button', { name: /^Record decision/ });
    await record.click();
    await expect.poll(() => page.locator('#decide .error').textContent()).toContain('choose a decision first');
    await screen('first-review-refused');
    // A decision but no reason is refused too.
    await page.getByRole('radio', { name: /^Reject: it does not/ }).check();
    expect(await page.locator('#decide input[name=reason]:checked').count()).toBe(0);
    await record.click();
    await expect.poll(() => page.locator('#decide .error').textContent()).toContain('choose a reason');
    const state = await sam.call<ItemView>('/zebra.v1.ReviewService/GetReviewItem', { itemId: eventId });
    expect(state.item.state).toBe(ReviewState.REVIEW_STATE_IN_REVIEW);
    // Reasons are in one neutral order, the same for every item: alphabetical.
    const reasons = await page.locator('#decide input[name=reason]').evaluateAll((els) =>
      els.map((e) =>
        e
          .closest('label')!
          .textContent.replace(/\s*\d+\s*$/, '')
          .trim(),
      ),
    );
    expect(reasons).toEqual([...reasons].sort((a, b) => a.localeCompare(b, 'en')));
    expect(reasons.length).toBeGreaterThan(3);
  }, 180_000);

  it('shows the evidence with phases, marks and captions to the ms, warnings, a legend, details folded', async () => {
    const eventId = withClip[0]!.eventId;
    await page.getByRole('radio', { name: /^Confirm: the evidence shows/ }).check();
    await expect.poll(() => page.locator('.frame img').count()).toBe(1);
    expect(await page.locator('.frame video').getAttribute('src')).toMatch(/^blob:/);
    await expect
      .poll(() => page.locator('.frame video').evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    // Keys: a frame forward (paused, one clip frame of 200 ms on), then play and pause.
    const clip = page.locator('.frame video');
    await page.locator('h1').focus();
    await page.keyboard.press('.');
    await expect.poll(() => clip.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeCloseTo(0.2, 2);
    await page.keyboard.press(' ');
    await expect.poll(() => clip.evaluate((v: HTMLVideoElement) => v.paused)).toBe(false);
    await page.keyboard.press(' ');
    await expect.poll(() => clip.evaluate((v: HTMLVideoElement) => v.paused)).toBe(true);
    await page.keyboard.press(',');
    await clip.evaluate((v: HTMLVideoElement) => (v.currentTime = 0));
    const main = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    // Captions and marks to the millisecond.
    expect(main).toMatch(/Entry · \d\d:\d\d:\d\d\.\d{3} UTC \(\+0\.000 s from the entry\)/);
    expect(await page.locator('svg.timeline').textContent()).toMatch(/entry \d\d:\d\d:\d\d\.\d{3}/);
    // Every phase in the legend; the steady DON'T WALK band drawn; the axis ticks labelled.
    for (const phase of ['WALK', 'flashing DON’T WALK', 'steady DON’T WALK']) expect(main).toContain(phase);
    expect(await page.locator('svg.timeline rect.steady').count()).toBe(1);
    expect(await page.locator('svg.timeline text.ticklabel').count()).toBeGreaterThan(2);
    // The overlay legend; a stamp on each frame with time, place and signal.
    expect(main).toContain('Crosswalk zone the device tested');
    expect(await page.locator('.frame img + svg + .stamp').textContent()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} UTC · site-1 camera cam-1 · steady DON’T WALK \+\d+\.\d{3} s$/,
    );
    // The test events' signal is a schedule file and the clock has no reference: both warned.
    const warn = await page.locator('section.warn').innerText();
    expect(warn).toContain('not read from the controller');
    expect(warn).toContain('device clock');
    // Ids and hashes only in the folded details.
    expect(await page.locator('details.tech').getAttribute('open')).toBeNull();
    expect(await page.locator('details.tech').textContent()).toContain(eventId);
    expect(main).not.toContain(eventId);
    await screen('first-review-evidence');
  }, 180_000);

  it('confirms and links the citation in one step, then moves to the next claimed item by itself', async () => {
    const eventId = withClip[0]!.eventId;
    await page.locator('#decide input[name=reason]').first().check();
    await page.getByLabel('Citation number').fill('C-2026-0042');
    await page.getByLabel('Issuing officer').fill('PC 4411');
    await page.getByLabel('Subject reference').fill('DL-100-200');
    await screen('first-review-confirm-and-link');
    await page.getByRole('button', { name: /^Record decision/ }).click();
    await expect.poll(status).toContain('Confirmed and the reference linked');
    // Auto-advance: the next item was claimed and opened.
    await expect.poll(() => page.url()).toMatch(/#\/item\//);
    expect(page.url()).not.toContain(eventId);
    const linked = await sam.call<ItemView>('/zebra.v1.ReviewService/GetReviewItem', { itemId: eventId });
    expect(linked.item.state).toBe(ReviewState.REVIEW_STATE_LINKED);
    expect(linked.reference).toMatchObject({ citationNumber: 'C-2026-0042', subjectRef: 'DL-100-200' });
  }, 180_000);

  it(`runs a shift of ${SHIFT} items by keyboard alone`, async () => {
    await page.goto(url('#/queue'));
    await expect.poll(() => page.locator('li.item').count()).toBeGreaterThan(0);
    // The auto-advance of the last test claimed one item; n continues with it.
    await page.locator('h1').focus();
    await page.keyboard.press('n');
    const decided: string[] = [];
    const startedMs = Date.now();
    for (let i = 0; i < SHIFT; i++) {
      await expect.poll(() => page.url(), { timeout: 15_000 }).toMatch(/#\/item\/[0-9a-f-]{36}$/);
      const itemId = page.url().split('/').pop()!;
      expect(decided).not.toContain(itemId);
      await readyOn(itemId);
      // Alternate: confirm with its reason, reject with the first reason in the list.
      await page.keyboard.press(i % 2 === 0 ? 'c' : 'r');
      await page.keyboard.press('1');
      await page.keyboard.press('Enter');
      decided.push(itemId);
      if (i < SHIFT - 1) await expect.poll(() => page.url(), { timeout: 15_000 }).not.toContain(itemId);
    }
    await expect.poll(status, { timeout: 15_000 }).toContain('Nothing more is waiting');
    const perItemMs = (Date.now() - startedMs) / SHIFT;
    console.log(`keyboard shift: ${SHIFT} items, ${perItemMs.toFixed(0)} ms an item (min view ${MIN_VIEW_MS} ms)`);
    // Every item decided on the server: the first-review queue is empty, the confirmed ones wait for a link.
    const left = await sam.call<{ items: unknown[] }>('/zebra.v1.ReviewService/ListQueue', {
      kind: 'QUEUE_KIND_FIRST_REVIEW',
      pageSize: 200,
    });
    expect(left.items).toEqual([]);
    const link = await sam.call<{ items: { itemId: string }[] }>('/zebra.v1.ReviewService/ListQueue', {
      kind: 'QUEUE_KIND_LINK',
      pageSize: 200,
    });
    expect(link.items).toHaveLength(SHIFT / 2);
    expect(new Set(decided).size).toBe(SHIFT);
    await screen('review-queue-empty');
  }, 300_000);

  it('refuses out-of-range filters with a message and filters by a camera chosen from a list', async () => {
    // A new event on another camera: the list offers the cameras with work in the reviewer's queues.
    await ingestEvents(stack, 1, 'cam-3', syntheticFrame);
    await page.goto(url('#/queue/QUEUE_KIND_LINK'));
    await expect.poll(() => page.locator('li.item').count()).toBe(SHIFT / 2);
    const cameras = await page.getByLabel('Camera').locator('option').allTextContents();
    expect(cameras).toEqual(['All cameras', 'site-1 · camera cam-2', 'site-1 · camera cam-3']);
    await page.getByLabel('Minimum confidence').fill('1.5');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('main .error').first().textContent()).toContain('from 0 to 1');
    await page.getByLabel('Minimum confidence').fill('');
    await page.getByLabel('From').fill('2030-01-02');
    await page.getByLabel('To').fill('2030-01-01');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('main .error').first().textContent()).toContain('between');
    await screen('review-queue-filter-refused');
    await page.getByLabel('From').fill('');
    await page.getByLabel('To').fill('');
    await page.getByLabel('Camera').selectOption({ label: 'site-1 · camera cam-3' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('li.item').count()).toBe(0);
    expect(await page.locator('.tabs').innerText()).toMatch(/First review\s*1\b/);
    await page.getByLabel('Camera').selectOption({ label: 'site-1 · camera cam-2' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('li.item').count()).toBe(SHIFT / 2);
    // Counts on the tabs.
    expect(await page.locator('.tabs').innerText()).toMatch(/Link reference\s*25/);
    await page.locator('li.item a.rowlink').first().click();
    await expect.poll(() => page.locator('#decide').textContent()).toContain('Link reference');
    await screen('link-reference');
  }, 180_000);

  it('a supervisor lands on Second review, and no screen or API answer names the first reviewer', async () => {
    const answers: string[] = [];
    // Every answer to the supervisor (the page is the first reviewer's until sam signs in).
    page.on('response', (res) => {
      if (res.url().includes('/api/') && res.request().headers().authorization === `Bearer ${tokens.get('sam')}`)
        void res.text().then(
          (t) => answers.push(`${res.url()} ${t}`),
          () => undefined,
        );
    });
    const eventId = withClip[0]!.eventId;
    await signInAs('sam', 'sam');
    await expect.poll(() => page.locator('.tabs a[aria-current=page]').textContent()).toContain('Second review');
    await expect.poll(() => page.locator('li.item').count()).toBe(1);
    const screens: string[] = [];
    const look = async (name: string): Promise<void> => {
      screens.push(`${name}\n${await page.locator('body').innerText()}\n${await page.content()}`);
      await screen(name);
    };
    await look('second-review-queue');
    await page.locator(`li[data-id="${eventId}"] a.rowlink`).click();
    await expect.poll(() => page.locator('#decide').textContent()).toContain('Second review, blind');
    await page.keyboard.press('o');
    await readyOn(eventId);
    await look('second-review-item');
    // On a phone the jump bar stays at the top and takes the reviewer to the decision at once.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.mouse.wheel(0, 1500);
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(1000);
    expect((await page.locator('nav.jump').boundingBox())!.y).toBeLessThan(5);
    await page.locator('nav.jump').getByRole('link', { name: 'Decision' }).click();
    await expect
      .poll(async () => {
        const box = await page.locator('#decide').boundingBox();
        return box !== null && box.y >= 0 && box.y < 844 / 2;
      })
      .toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
    for (const tab of ['QUEUE_KIND_APPEAL', 'QUEUE_KIND_FIRST_REVIEW', 'QUEUE_KIND_LINK']) {
      await page.goto(url(`#/queue/${tab}`));
      await expect.poll(() => page.locator('.tabs .count').first().textContent()).toMatch(/^\d+$/);
      await look(`supervisor-queue-${tab.slice(11).toLowerCase()}`);
    }
    // A confirmed item waiting for its link, as the supervisor sees it.
    await page.locator('li.item a.rowlink').first().click();
    await expect.poll(() => page.locator('#decide').textContent()).toContain('Link reference');
    screens.push(`link item\n${await page.content()}`);
    for (const [hash, name] of [
      ['#/ledger', 'ledger'],
      ['#/report', 'report'],
    ] as const) {
      await page.goto(url(hash));
      await expect.poll(() => page.locator('main h1').count()).toBe(1);
      screens.push(`${name}\n${await page.locator('body').innerText()}\n${await page.content()}`);
    }
    await page.waitForTimeout(500); // let the last response bodies be read
    expect(answers.length).toBeGreaterThan(10);
    for (const needle of [FIRST_ID, FIRST_NAME, 'Rowena', 'Quill']) {
      expect(screens.filter((s) => s.includes(needle)).map((s) => s.split('\n')[0])).toEqual([]);
      expect(answers.filter((a) => a.includes(needle)).map((a) => a.slice(0, 120))).toEqual([]);
    }
    page.removeAllListeners('response');
  }, 120_000);

  it('the supervisor decides by keys with no default; the appeal screen has none either', async () => {
    const eventId = withClip[0]!.eventId;
    await page.goto(url(`#/item/${eventId}`));
    await page.keyboard.press('o');
    await readyOn(eventId);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#decide .error').textContent()).toContain('choose a decision first');
    await page.keyboard.press('a');
    await page.keyboard.press('1');
    await page.keyboard.press('Enter');
    await expect.poll(status).toContain('Approved');
    // An appeal, filed by an administrator, decided by the other supervisor.
    await clerk.call('/zebra.v1.LedgerService/FileAppeal', { eventId, grounds: 'I was abroad that day.' });
    // The message about the decision went with the move it caused; the next move clears it.
    await page.locator('#nav a', { hasText: 'Points and appeals' }).click();
    await expect.poll(status).toBe('');
    await signInAs('sue', 'sue');
    await page.goto(url('#/queue/QUEUE_KIND_APPEAL'));
    await page.locator(`li[data-id="${eventId}"] a.rowlink`).click();
    await expect.poll(() => page.locator('#decide').textContent()).toContain('Appeal');
    expect(await page.locator('#decide input[type=radio]:checked').count()).toBe(0);
    await page.keyboard.press('o');
    await expect.poll(() => page.locator('.frame img').count()).toBe(1);
    await screen('appeal-item');
    await page.getByRole('button', { name: /^Record appeal decision/ }).click();
    await expect.poll(() => page.locator('#decide .error').textContent()).toContain('choose a decision first');
    // Each outcome offers only its own reasons (the server refuses the other outcome's too).
    const reasonLabels = () => page.locator('#decide input[name=reason] + span').allTextContents();
    await page.keyboard.press('d');
    await expect.poll(async () => (await reasonLabels()).join('|')).toMatch(/raises nothing/);
    expect((await reasonLabels()).join('|')).not.toMatch(/wrong person|exemption/i);
    await page.keyboard.press('u');
    await expect.poll(async () => (await reasonLabels()).join('|')).toMatch(/wrong person/);
    expect((await reasonLabels()).join('|')).not.toMatch(/raises nothing/);
    await page.keyboard.press('1');
    await page.keyboard.press('Enter');
    await expect.poll(status).toContain('Appeal upheld');
  }, 180_000);

  it('every screen: no raw enum, undefined, NaN, epoch number or UUID outside details; axe, keys, no overlap', () => {
    expect(raw).toEqual([]);
    expectClean(checks);
  });
});
