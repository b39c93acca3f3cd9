import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackPki } from '../../cli/pki.js';
import { ensureDemoTools } from '../../cli/system-tools.js';
import { PGLITE_TEMPLATE_ENV, makePgliteTemplate } from './pglite-template.js';
import { TEST_PKI_ENV } from './pki.js';
import { TEST_RUN_ENV, reapRun } from './reaper.js';

/**
 * Before any test: nats-server, ffmpeg and chromium must be installed (apt-get as root, else a
 * clear error with the command), and one private CA with a loopback certificate is made for the
 * run; the test processes find it through ZEBRA_TEST_PKI_DIR. On PGlite, one empty cluster is
 * made for the run's test databases to copy (ZEBRA_TEST_PGLITE_TEMPLATE). Removed after the run.
 *
 * After the run, every process the tests started that is still alive (a server whose test
 * failed or timed out before its cleanup) is killed and named: nothing outlives `npm test`.
 */
export default async function setup(): Promise<() => Promise<void>> {
  ensureDemoTools((line) => process.stderr.write(`${line}\n`), true);
  const dir = await mkdtemp(join(tmpdir(), 'zebra-test-pki-'));
  await loopbackPki(dir);
  process.env[TEST_PKI_ENV] = dir;
  const runId = randomUUID();
  process.env[TEST_RUN_ENV] = runId;
  // Test databases on PGlite start as copies of one empty cluster (none on PostgreSQL).
  const template = process.env.DATABASE_URL ? undefined : await makePgliteTemplate();
  if (template) process.env[PGLITE_TEMPLATE_ENV] = template.dir;
  return async () => {
    const reaped = await reapRun(runId);
    if (reaped.length > 0)
      process.stderr.write(
        `killed ${reaped.length} process(es) the tests left running:\n${reaped.map((p) => `  ${p.pid} ${p.command}`).join('\n')}\n`,
      );
    await rm(dir, { recursive: true, force: true });
    await template?.remove();
  };
}
