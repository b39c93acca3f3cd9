import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Objm } from '@nats-io/obj';
import { fetchEvents } from '../../cli/events.js';
import { freePort, freePorts } from '../../cli/nats-server.js';
import {
  EDGE_STREAM,
  EVIDENCE_BUCKET,
  EVIDENCE_STREAM,
  INFRACTIONS_STREAM,
  RECEIPTS_STREAM,
} from '../../proto/index.js';
import { jetstreamManager } from '@nats-io/jetstream';
import type { InfractionEvent } from '../../proto/index.js';
import { startCoreProcess } from './core-process.js';
import type { CoreProcess } from './core-process.js';
import { createTestDatabase, openTestDatabase, preRegisterTestDevice } from './database.js';
import type { TestDatabaseTarget } from './database.js';
import { checkDelivery, committedEvents, evidenceMismatches, ingestRecords } from './delivery.js';
import type { DeliveryReport } from './delivery.js';
import { startTestNats, startTestSite } from './nats.js';
import { setupTestSiteOutbox } from './nats-setup.js';
import type { TestNats } from './nats.js';
import { SiteProducer } from './site-producer.js';
import type { SiteProducerOptions } from './site-producer.js';
import { startTcpLink } from './tcp-proxy.js';
import type { TcpLink } from './tcp-proxy.js';
import { tempDir, waitFor } from './temp.js';
import type { TempDir } from './temp.js';

export const FAULT_SITE = 'site-1';
export const FAULT_DEVICE = 'dev-fault';

/** The production topology on loopback: hub nats-server, a site leaf behind a cuttable link, the core as a process. */
export interface FaultSite extends AsyncDisposable {
  readonly hub: TestNats;
  readonly link: TcpLink;
  readonly site: TestNats;
  readonly database: TestDatabaseTarget;
  readonly work: TempDir;
  /** The device's state folder (key, sequence counter, produced.txt). */
  readonly stateDir: string;
  readonly core: CoreProcess | undefined;
  startCore(): Promise<CoreProcess>;
  killCore(): Promise<void>;
  startProducer(overrides?: Partial<SiteProducerOptions>): Promise<SiteProducer>;
  /** Events committed so far, read through the API. */
  committedCount(): Promise<number>;
  /**
   * Waits until `produced.length` events are committed, stops the core, and checks the
   * database against what was produced, and the hub's evidence against the signed hashes.
   */
  verdict(
    produced: readonly string[],
    timeoutMs?: number,
    indeterminate?: readonly string[],
  ): Promise<{ report: DeliveryReport; evidence: string[]; events: InfractionEvent[] }>;
}

export async function startFaultSite(): Promise<FaultSite> {
  const work = await tempDir('zebra-fault-');
  const hubLeafPort = await freePort();
  const link = await startTcpLink(hubLeafPort);
  // The site signs in to the hub's leaf port as itself, as in a deployment.
  const leafCredentials = { user: FAULT_SITE, password: randomBytes(18).toString('base64url') };
  const hub = await startTestNats(undefined, {
    port: hubLeafPort,
    advertise: `127.0.0.1:${link.port}`,
    users: [leafCredentials],
  });
  const site = await startTestSite(FAULT_SITE, link.url, leafCredentials, { devices: [FAULT_DEVICE] });
  const database = await createTestDatabase();
  const stateDir = join(work.path, 'device');
  const key = await SiteProducer.deviceKey(stateDir);
  await preRegisterTestDevice(database, { deviceId: FAULT_DEVICE, siteId: FAULT_SITE, publicKeyPem: key.publicKeyPem });
  const [grpc, http] = (await freePorts(2)) as [number, number];
  const ports = { grpc, http };
  const logFile = join(work.path, 'core.log');
  let core: CoreProcess | undefined;
  let token: string | undefined;
  const producers: SiteProducer[] = [];
  const startCore = async (): Promise<CoreProcess> => {
    core = await startCoreProcess(work.path, hub, database, ports, logFile, {
      transport: { sites: [FAULT_SITE], evidenceRetryMs: 250 },
    });
    token ??= await core.readerToken();
    return core;
  };
  const committedCount = async (): Promise<number> => {
    if (!core || !token) return 0;
    let n = 0;
    let pageToken = '';
    do {
      const page = await fetchEvents(core.grpcAddress, token, core.tls, 500, '', pageToken);
      n += page.events.length;
      pageToken = page.nextPageToken;
    } while (pageToken);
    return n;
  };
  /** Where messages are, for a failure message. */
  const transportState = async (): Promise<string> => {
    const describe = async (server: TestNats, streams: string[], consumer?: [string, string]): Promise<string> => {
      const nc = await server.connect();
      try {
        const jsm = await jetstreamManager(nc);
        const parts = await Promise.all(
          streams.map(async (s) => {
            const info = await jsm.streams.info(s);
            const sources = (info.sources ?? []).map(
              (x) =>
                `lag ${x.lag} active ${Math.round(x.active / 1e6)}ms${x.error ? ` error ${x.error.description}` : ''}`,
            );
            return `${s}=${info.state.messages}${sources.length ? ` (${sources.join(', ')})` : ''}`;
          }),
        );
        if (consumer) {
          const c = await jsm.consumers.info(...consumer);
          parts.push(`pending=${c.num_pending} ackPending=${c.num_ack_pending} redelivered=${c.num_redelivered}`);
        }
        return parts.join(' ');
      } finally {
        await nc.close();
      }
    };
    const hubState = await describe(
      hub,
      [INFRACTIONS_STREAM, EVIDENCE_STREAM, RECEIPTS_STREAM],
      [INFRACTIONS_STREAM, 'core-ingest'],
    ).catch((e: unknown) => String(e));
    const siteState = await describe(site, [EDGE_STREAM, EVIDENCE_STREAM, RECEIPTS_STREAM]).catch((e: unknown) =>
      String(e),
    );
    const serverLog = async (file: string): Promise<string> =>
      (await readFile(file, 'utf8').catch(() => ''))
        .split('\n')
        .filter((l) => /\[(WRN|ERR)\]/.test(l))
        .slice(-6)
        .join('\n');
    return `hub: ${hubState}; site: ${siteState}\nhub log:\n${await serverLog(hub.logFile)}\nsite log:\n${await serverLog(site.logFile)}`;
  };
  return {
    hub,
    link,
    site,
    database,
    work,
    stateDir,
    get core() {
      return core;
    },
    startCore,
    async killCore() {
      await core?.kill9();
    },
    async startProducer(overrides = {}) {
      if (overrides.sizing) await setupTestSiteOutbox(site, FAULT_SITE, [FAULT_DEVICE], overrides.sizing);
      const producer = await SiteProducer.start({
        site: site.client(FAULT_DEVICE),
        siteId: FAULT_SITE,
        deviceId: FAULT_DEVICE,
        cameraId: 'cam-1',
        stateDir,
        evidenceBytes: 50_000,
        ...overrides,
      });
      producers.push(producer);
      return producer;
    },
    committedCount,
    async verdict(produced, timeoutMs = 90_000, indeterminate = []) {
      let last = 0;
      await waitFor(
        `${produced.length} events committed`,
        async () => {
          last = await committedCount().catch(() => last);
          return last >= produced.length ? true : undefined;
        },
        timeoutMs,
      ).catch(async (err: unknown) => {
        const warnings = (await readFile(logFile, 'utf8').catch(() => ''))
          .split('\n')
          .filter((l) => /"level":(40|50|60)|evidence not at the hub/.test(l))
          .slice(-8)
          .map((l) => l.slice(0, 400));
        throw new Error(
          `${String(err)}; ${last} committed; ${await transportState()}; core warnings:\n${warnings.join('\n')}`,
        );
      });
      await core?.stop();
      const db = await openTestDatabase(database);
      const nc = await hub.connect();
      try {
        const events = await committedEvents(db, FAULT_DEVICE);
        const store = await new Objm(nc).open(EVIDENCE_BUCKET);
        return {
          report: checkDelivery(produced, await ingestRecords(db, FAULT_DEVICE), indeterminate),
          evidence: await evidenceMismatches(store, events),
          events,
        };
      } finally {
        await nc.close();
        await db.close();
      }
    },
    async [Symbol.asyncDispose]() {
      for (const p of producers) await p.close(0).catch(() => undefined);
      await core?.stop();
      await site[Symbol.asyncDispose]();
      await link[Symbol.asyncDispose]();
      await hub[Symbol.asyncDispose]();
      await database[Symbol.asyncDispose]();
      await work[Symbol.asyncDispose]();
    },
  };
}
