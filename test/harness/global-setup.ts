import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackPki } from '../../cli/pki.js';
import { ensureDemoTools } from '../../cli/system-tools.js';
import { TEST_PKI_ENV } from './pki.js';

/**
 * Before any test: nats-server, ffmpeg and chromium must be installed (apt-get as root, else a
 * clear error with the command), and one private CA with a loopback certificate is made for the
 * run; the test processes find it through ZEBRA_TEST_PKI_DIR. Removed after the run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  ensureDemoTools((line) => process.stderr.write(`${line}\n`), true);
  const dir = await mkdtemp(join(tmpdir(), 'zebra-test-pki-'));
  await loopbackPki(dir);
  process.env[TEST_PKI_ENV] = dir;
  return () => rm(dir, { recursive: true, force: true });
}
