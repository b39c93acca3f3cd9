import { readFileSync } from 'node:fs';

/** The edge software version, from package.json. */
export const EDGE_SOFTWARE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
