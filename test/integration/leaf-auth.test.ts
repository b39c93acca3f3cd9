import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { startTestNats, startTestSite } from '../harness/nats.js';
import { waitFor } from '../harness/temp.js';

/** Whether the site's JetStream (its domain) answers from the hub, i.e. its leaf node is linked. */
async function linked(nc: NatsConnection, siteId: string): Promise<boolean> {
  try {
    await (await jetstreamManager(nc, { domain: siteId, timeout: 1_000 })).getAccountInfo();
    return true;
  } catch {
    return false;
  }
}

async function logSays(logFile: string, pattern: RegExp): Promise<true | undefined> {
  return pattern.test(await readFile(logFile, 'utf8').catch(() => '')) || undefined;
}

describe("the hub's leaf node port", () => {
  it('links a site that signs in as itself, and refuses a wrong password and an unknown site', async () => {
    const site1 = { user: 'site-1', password: randomBytes(18).toString('base64url') };
    await using hub = await startTestNats(undefined, { port: 0, advertise: '', users: [site1] });
    await using site = await startTestSite('site-1', hub.leafUrl, site1);
    await using impostor = await startTestSite('site-2', hub.leafUrl, { user: 'site-1', password: 'guessed' });
    await using unknown = await startTestSite('site-3', hub.leafUrl, { user: 'site-3', password: 'made-up' });
    const nc = await hub.connect();
    try {
      await waitFor('site-1 reachable through its link', async () => (await linked(nc, 'site-1')) || undefined);
      for (const refused of [impostor, unknown]) {
        await waitFor('the hub to refuse the link', () => logSays(refused.logFile, /authorization violation/i));
      }
      expect(await linked(nc, 'site-2')).toBe(false);
      expect(await linked(nc, 'site-3')).toBe(false);
      // The credentials are in the site's config file only, which only its owner may read.
      expect(await logSays(site.logFile, new RegExp(site1.password))).toBeUndefined();
    } finally {
      await nc.close();
    }
  });
});
