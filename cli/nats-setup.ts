import { readFile } from 'node:fs/promises';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureIngestTopology, loadCoreConfig } from '../core/index.js';
import type { CoreConfig } from '../core/index.js';
import { ensureReceiptsDurable, ensureSiteOutbox, loadEdgeConfig, outboxLimits } from '../edge/index.js';
import type { EdgeConfig } from '../edge/index.js';
import { NATS_SETUP_USER } from '../proto/index.js';

/**
 * `zebra nats setup hub|site`: what only the setup identity may do, done once at install and
 * after a change of sites or outbox size. The core and the edge then run with users that can
 * read these streams but never create, resize, purge or delete them.
 */

const RECEIPTS_MAX_AGE_MS = 30 * 86_400_000;

/**
 * The hub: INFRACTIONS (sourcing each configured site), RECEIPTS, the evidence store, the
 * ingest durable, each with `transport.streamReplicas` copies (or `replicas`, from --replicas).
 */
export async function setupHub(
  nc: NatsConnection,
  config: Pick<CoreConfig, 'ingest' | 'transport'>,
  replicas: number = config.transport.streamReplicas,
): Promise<void> {
  await ensureIngestTopology(nc, { ...config.ingest, ...config.transport, replicas });
}

/** `--replicas`: 1, 3 or 5. */
export function parseReplicas(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[135]$/.test(text)) throw new Error(`--replicas: must be 1, 3 or 5, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** A site's leaf node: the outbox streams sized from the config, and the device's receipts durable. */
export async function setupSite(nc: NatsConnection, config: EdgeConfig): Promise<void> {
  if (!config.outbox) throw new Error('outbox: the edge config has no site outbox to set up');
  const limits = outboxLimits(config.outbox, config.cameras.length);
  await ensureSiteOutbox(nc, {
    siteId: config.siteId,
    hubDomain: config.outbox.hubDomain,
    limits,
    receiptsMaxAgeMs: RECEIPTS_MAX_AGE_MS,
  });
  await ensureReceiptsDurable(nc, config.siteId, config.deviceId);
}

/** Connects as the setup identity over TLS. */
export async function connectAsSetup(
  servers: readonly string[],
  caFile: string,
  password: string,
  user = NATS_SETUP_USER,
): Promise<NatsConnection> {
  return connect({ servers: [...servers], user, pass: password, tls: { caFile }, name: 'zebra-setup' });
}

export interface NatsSetupOpts {
  readonly config: string;
  readonly user: string;
  readonly passwordFile: string;
  readonly replicas?: number;
}

/** `zebra nats setup hub|site --config FILE --password-file FILE`. */
export async function natsSetup(target: 'hub' | 'site', values: NatsSetupOpts): Promise<number> {
  const file = values.passwordFile;
  const password = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    (err: unknown) => {
      throw new Error(`--password-file: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    },
  );
  if (!password) throw new Error(`--password-file: ${file} is empty`);
  if (target === 'hub') {
    const config = await loadCoreConfig(values.config, process.env);
    const replicas = values.replicas ?? config.transport.streamReplicas;
    const nc = await connectAsSetup(config.nats.servers, config.nats.caFile, password, values.user);
    try {
      await setupHub(nc, config, replicas);
    } finally {
      await nc.close();
    }
    process.stdout.write(
      `hub set up: streams, evidence store and ingest durable (${config.ingest.durableName}), ` +
        `${replicas} ${replicas === 1 ? 'copy' : 'copies'} each\n`,
    );
    return 0;
  }
  const config = await loadEdgeConfig(values.config, process.env);
  if (!config.nats.caFile) throw new Error('nats.caFile: required (TLS is always on)');
  const nc = await connectAsSetup(config.nats.servers, config.nats.caFile, password, values.user);
  try {
    await setupSite(nc, config);
  } finally {
    await nc.close();
  }
  process.stdout.write(
    `site ${config.siteId} set up: outbox streams, evidence store, receipts of ${config.deviceId}\n`,
  );
  return 0;
}
