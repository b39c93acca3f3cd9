import type { Page } from 'playwright-core';

/**
 * What a person should never have to read on a screen outside a "details" section: raw enum
 * names, codes with underscores, values the page failed to fill in, epoch numbers, UUIDs and
 * long hex (hashes and their prefixes).
 */
export const RAW_TEXT: readonly { readonly what: string; readonly pattern: RegExp }[] = [
  { what: 'enum name', pattern: /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/ },
  { what: 'code with underscores', pattern: /\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/ },
  { what: 'undefined', pattern: /\bundefined\b/ },
  { what: 'NaN', pattern: /\bNaN\b/ },
  { what: 'object', pattern: /\[object \w+\]/ },
  { what: 'epoch ms', pattern: /\b1\d{12}\b/ },
  { what: 'epoch s', pattern: /\b1\d{9}\b/ },
  { what: 'UUID', pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i },
  { what: 'hex', pattern: /\b[0-9a-f]{12,}\b/i },
  { what: 'invalid date', pattern: /invalid date/i },
];

/** The page's rendered text with every <details> section (open or not) left out. */
export async function textOutsideDetails(page: Page): Promise<string> {
  return page.evaluate(() => {
    const hidden = [...document.querySelectorAll<HTMLElement>('details')];
    const before = hidden.map((d) => d.style.display);
    hidden.forEach((d) => (d.style.display = 'none'));
    // SVG text (the timeline's labels) is rendered text too.
    const svgText = [...document.querySelectorAll('svg text')]
      .filter((t) => !t.closest('details'))
      .map((t) => t.textContent ?? '');
    const text = `${document.title}\n${document.body.innerText}\n${svgText.join('\n')}`;
    hidden.forEach((d, i) => (d.style.display = before[i]!));
    return text;
  });
}

/** Lines of rendered text (outside details) that show raw values, as "what: line". */
export async function rawText(page: Page): Promise<string[]> {
  const lines = (await textOutsideDetails(page)).split('\n');
  return lines.flatMap((line) =>
    RAW_TEXT.filter((r) => r.pattern.test(line)).map((r) => `${r.what}: ${line.trim().slice(0, 120)}`),
  );
}
