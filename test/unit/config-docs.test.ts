import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE_FILE, renderConfigReference } from '../../cli/config-docs.js';

describe('docs/config.md', () => {
  it('is what the schemas say now (run npm run gen:docs after changing a config schema)', async () => {
    expect(await readFile(CONFIG_REFERENCE_FILE, 'utf8')).toBe(renderConfigReference());
  });

  it('lists every key with its default, nested sections and camera keys included', () => {
    const text = renderConfigReference();
    expect(text).toMatch(/\| `detector\.minScore` \| number 0–1 \| {2}\| `0\.1` \|/);
    expect(text).toMatch(/\| `cameras\[\]\.zone` \|/);
    expect(text).toMatch(/\| `database\.url` \|/);
  });

  it('states a bound the way the schema checks it: positive integers from 1, positive numbers above 0', () => {
    const text = renderConfigReference();
    expect(text).toMatch(/\| `cameras\[\]\.source\.reconnect\.fastRetryDelayMs` \| integer ≥ 1 \|/);
    expect(text).toMatch(/\| `cameras\[\]\.source\.reconnect\.fastRetryForMs` \| integer ≥ 0 \|/);
    expect(text).toMatch(/\| `cameras\[\]\.source\.fps` \| number > 0, ≤ 30 \|/);
  });
});
