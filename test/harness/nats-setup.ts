import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setupHub, setupSite } from '../../cli/nats-setup.js';
import { ensureReceiptsDurable, ensureSiteOutbox, outboxLimits } from '../../edge/index.js';
import type { OutboxSizing } from '../../edge/outbox/limits.js';
import { HUB_DOMAIN } from '../../proto/index.js';
import type { CoreConfig } from '../../core/index.js';
import type { EdgeConfig } from '../../edge/index.js';
import type { TestNats } from './nats.js';
import { TEST_INGEST_DURABLE } from './nats.js';
import { ensureIngestTopology } from '../../core/index.js';

/** A process's `nats` config block for `user` on `nats`, its password in a 0600 file in `dir`. */
export async function writeTestNatsClient(
  nats: TestNats,
  dir: string,
  user: string,
): Promise<{ servers: string[]; user: string; passwordFile: string; caFile: string }> {
  const found = nats.users.find((u) => u.user === user);
  if (!found) throw new Error(`test nats-server has no user ${user}`);
  const passwordFile = join(dir, `nats-${user}.secret`);
  await writeFile(passwordFile, `${found.password}\n`, { mode: 0o600 });
  return { servers: [...nats.servers], user, passwordFile, caFile: nats.caFile };
}

/** What `zebra nats setup hub` does, as the setup identity: streams, evidence store, ingest durable. */
export async function setupTestHub(nats: TestNats, config: Pick<CoreConfig, 'ingest' | 'transport'>): Promise<void> {
  const nc = await nats.connect();
  try {
    await setupHub(nc, config);
  } finally {
    await nc.close();
  }
}

/** The hub's streams with the test core's defaults (its durable, 30 s ack wait), sourcing `sites`. */
export async function setupTestHubDefaults(nats: TestNats, sites: readonly string[] = []): Promise<void> {
  const nc = await nats.connect();
  try {
    await ensureIngestTopology(nc, {
      durableName: TEST_INGEST_DURABLE,
      ackWaitMs: 30_000,
      duplicateWindowMs: 120_000,
      sites,
    });
  } finally {
    await nc.close();
  }
}

/** What `zebra nats setup site` does, as the site's setup identity. */
export async function setupTestSite(site: TestNats, config: EdgeConfig): Promise<void> {
  const nc = await site.connect();
  try {
    await setupSite(nc, config);
  } finally {
    await nc.close();
  }
}

/** The default outbox of a test site: an hour at one event a second, 400 KB of evidence each. */
export const TEST_SITE_SIZING: OutboxSizing = {
  promisedOutageHours: 1,
  peakEventsPerHour: 3600,
  eventBytes: 32_768,
  evidenceBytesPerEvent: 400_000,
};

/**
 * A site outbox sized by `sizing` (one camera) and a receipts durable per device, made by the
 * site's setup identity; again with another sizing resizes it.
 */
export async function setupTestSiteOutbox(
  site: TestNats,
  siteId: string,
  devices: readonly string[],
  sizing: OutboxSizing = TEST_SITE_SIZING,
): Promise<void> {
  const nc = await site.connect();
  try {
    await ensureSiteOutbox(nc, {
      siteId,
      hubDomain: HUB_DOMAIN,
      limits: outboxLimits(sizing, 1),
      receiptsMaxAgeMs: 86_400_000,
    });
    for (const deviceId of devices) await ensureReceiptsDurable(nc, siteId, deviceId);
  } finally {
    await nc.close();
  }
}
