import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { testPki } from '../harness/pki.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const SCREENS_DIR = resolve(import.meta.dirname, '../../test-results/console');
const SIZES = [
  { name: 'desk', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/**
 * The base64 SHA-256 of the test core certificate's public key: Chromium trusts exactly that key
 * (--ignore-certificate-errors-spki-list), since playwright cannot hand it a CA; every other
 * certificate error still stops the page.
 */
async function testCertificateSpki(): Promise<string> {
  const cert = new X509Certificate(await readFile((await testPki()).certFile));
  return createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}
let axe: Promise<string> | undefined;
const axeSource = (): Promise<string> => (axe ??= readFile(AXE, 'utf8'));

export async function launchBrowser(): Promise<Browser> {
  await mkdir(SCREENS_DIR, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      `--ignore-certificate-errors-spki-list=${await testCertificateSpki()}`,
    ],
  });
}

export interface ScreenCheck {
  readonly name: string;
  readonly axe: { id: string; impact: string; help: string; nodes: number }[];
  readonly unreachable: string[];
  readonly overlaps: string[];
  readonly unrendered: string[];
}

/** Every control a keyboard user must reach: what Tab should land on. */
async function unreachableByTab(page: Page): Promise<string[]> {
  const controls = await page.evaluate(() => {
    const selector =
      'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, summary, [tabindex="0"]';
    // A radio group is one Tab stop (arrow keys move within it): its checked radio, or its first.
    const isTabStop = (el: HTMLElement): boolean => {
      if (!(el instanceof HTMLInputElement) || el.type !== 'radio') return true;
      const group = [...document.querySelectorAll<HTMLInputElement>(`input[type=radio][name="${el.name}"]`)];
      return el === (group.find((r) => r.checked) ?? group[0]);
    };
    const els = [...document.querySelectorAll<HTMLElement>(selector)].filter(
      (el) => el.offsetParent !== null && isTabStop(el),
    );
    els.forEach((el, i) => el.setAttribute('data-k', String(i)));
    return els.map(
      (el) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('name') || '').trim().slice(0, 30)}"`,
    );
  });
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.locator('body').focus();
  const seen = new Set<string>();
  // Twice round: Tab starts after the last focused element and wraps at the end of the page.
  for (let i = 0; i < 2 * controls.length + 5; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => document.activeElement?.getAttribute('data-k') ?? '');
    if (k) seen.add(k);
  }
  return controls.filter((_, i) => !seen.has(String(i)));
}

/** Pairs of visible text blocks whose boxes intersect (a sign of overlap), ignoring nesting. */
async function overlaps(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const els = [
      ...document.querySelectorAll<HTMLElement>(
        'h1, h2, p, label, button, a, th, td, dt, dd, figcaption, input, select',
      ),
    ].filter(
      (el) =>
        el.offsetParent !== null &&
        el.getBoundingClientRect().width > 0 &&
        !el.closest('#status') &&
        // The content of a closed <details> is not shown (Chromium still gives it boxes).
        !el.closest('details:not([open]) > :not(summary)'),
    );
    const boxes = els.map((el) => ({ el, r: el.getBoundingClientRect() }));
    const found: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const hgt = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > 2 && hgt > 2)
          found.push(
            `${a.el.tagName} "${a.el.textContent?.slice(0, 20)}" × ${b.el.tagName} "${b.el.textContent?.slice(0, 20)}"`,
          );
      }
    }
    return found.slice(0, 5);
  });
}

/**
 * Screenshots the current screen at desk and phone size, and at each size runs axe-core and
 * checks that nothing overlaps; at desk size also that every control is reachable by Tab.
 */
export async function checkScreen(page: Page, name: string): Promise<ScreenCheck> {
  const original = page.viewportSize();
  const result: ScreenCheck = { name, axe: [], unreachable: [], overlaps: [], unrendered: [] };
  // A value the page failed to fill in reads as "undefined", "NaN" or "[object Object]".
  const text = (await page.locator('body').innerText()).split('\n');
  result.unrendered.push(...text.filter((line) => /\bundefined\b|\bNaN\b|\[object Object\]/.test(line)).slice(0, 5));
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(SCREENS_DIR, `${name}-${size.name}.png`), fullPage: true });
    // Evaluated through DevTools, not added as an inline <script>: the console's CSP refuses those.
    await page.evaluate(await axeSource());
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: { run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }> };
        }
      ).axe;
      return (await axe.run()).violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.length,
      }));
    });
    result.axe.push(...violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'));
    result.overlaps.push(...(await overlaps(page)).map((o) => `${size.name}: ${o}`));
  }
  if (original) await page.setViewportSize(original);
  result.unreachable.push(...(await unreachableByTab(page)));
  return result;
}

export function expectClean(checks: readonly ScreenCheck[]): void {
  const problems = checks.flatMap((c) => [
    ...c.axe.map((v) => `${c.name}: axe ${v.impact} ${v.id} (${v.nodes}): ${v.help}`),
    ...c.unreachable.map((u) => `${c.name}: not reachable by keyboard: ${u}`),
    ...c.overlaps.map((o) => `${c.name}: overlap ${o}`),
    ...c.unrendered.map((t) => `${c.name}: unrendered value in "${t.slice(0, 80)}"`),
  ]);
  expect(problems).toEqual([]);
}
