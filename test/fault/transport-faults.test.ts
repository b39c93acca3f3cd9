// ci: once. Its subject is the transport (hub, leaf link, spool, outbox, device); a core killed
// mid-ingest is checked on both databases by core-crash.test.ts, so CI does not run this again on PostgreSQL.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { killProcess } from '../../cli/nats-server.js';
import { EDGE_STREAM, InfractionEvent, eventSubject } from '../../proto/index.js';
import { openTestDatabase } from '../harness/database.js';
import { CLEAN } from '../harness/delivery.js';
import { makeEvent, otherDeviceKey } from '../harness/events.js';
import { FAULT_DEVICE, FAULT_SITE, startFaultSite } from '../harness/fault-site.js';
import { producedLog, uploadCutShort } from '../harness/site-producer.js';
import { waitFor } from '../harness/temp.js';
import type { TestNats } from '../harness/nats.js';

/** Messages waiting in the site outbox. */
async function outboxMessages(site: TestNats): Promise<number> {
  const nc = await site.connect();
  try {
    return (await (await jetstreamManager(nc)).streams.info(EDGE_STREAM)).state.messages;
  } finally {
    await nc.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Each scenario starts real servers and core processes, some of them several times: 10–45 s
 * on a 2-core machine to itself; beside stress --cpu 4 (load average 12) 57–107 s, and the
 * three core kills (four core starts) over 240 s.
 */
const FAULT_TIMEOUT_MS = 600_000;

/** Every fault ends with the same verdict: nothing lost, nothing twice, nothing unexpected, evidence intact. */
describe('transport under faults (hub + site leaf + core process)', { timeout: FAULT_TIMEOUT_MS }, () => {
  it('kill -9 of the core, three times during ingest', async () => {
    await using fault = await startFaultSite();
    const producer = await fault.startProducer({ evidenceBytes: 5_000 });
    let committed = 0;
    for (let kill = 0; kill < 3; kill++) {
      await producer.produce(400); // a backlog built while the core is down
      const core = await fault.startCore();
      const atKill = await waitFor('ingest under way', async () => {
        const n = await fault.committedCount();
        return n > committed ? n : undefined;
      });
      await fault.killCore();
      expect(core.child.signalCode).toBe('SIGKILL');
      // The kill must land mid-ingest, or this proves nothing.
      expect(atKill).toBeLessThan(producer.produced.length);
      committed = atKill;
    }
    await fault.startCore();
    const { report, evidence } = await fault.verdict(producer.produced);
    expect(report).toEqual(CLEAN);
    expect(evidence).toEqual([]);
  });

  it('kill -9 of the hub nats-server during ingest', async () => {
    await using fault = await startFaultSite();
    await fault.startCore();
    const producer = await fault.startProducer();
    const producing = producer.produce(120, 20);
    await waitFor('ingest under way', async () => ((await fault.committedCount()) > 10 ? true : undefined));
    await fault.hub.kill();
    await sleep(2_000);
    await fault.hub.restart();
    await producing;
    const { report, evidence } = await fault.verdict(producer.produced);
    expect(report).toEqual(CLEAN);
    expect(evidence).toEqual([]);
  });

  it('leaf link cut while the device keeps producing, then restored', async () => {
    await using fault = await startFaultSite();
    await fault.startCore();
    const producer = await fault.startProducer();
    await producer.produce(10);
    await waitFor('first events in', async () => ((await fault.committedCount()) >= 10 ? true : undefined));
    fault.link.cut();
    await producer.produce(60, 100); // six seconds of production with no uplink
    // All 60 have left the device's spool for the site outbox (the first 10 may be purged by
    // their receipts), yet none crossed the cut link.
    await waitFor('the outbox holding the 60', async () =>
      (await outboxMessages(fault.site)) >= 60 ? true : undefined,
    );
    expect(await fault.committedCount()).toBe(10);
    fault.link.restore();
    const { report, evidence } = await fault.verdict(producer.produced, 120_000);
    expect(report).toEqual(CLEAN);
    expect(evidence).toEqual([]);
  });

  it('a full site outbox refuses new events loudly and evicts nothing', async () => {
    await using fault = await startFaultSite();
    await fault.startCore();
    // Room for 8 events' evidence; each refused write fails at once.
    // Straight to the outbox (no spool): this is the outbox's own refusal; a real device's
    // spool keeps such events on disk and sends them later (test/integration/edge-spool.test.ts).
    const producer = await fault.startProducer({
      spool: false,
      evidenceBytes: 50_000,
      maxAttempts: 1,
      sizing: { promisedOutageHours: 1, peakEventsPerHour: 8, eventBytes: 32_768, evidenceBytesPerEvent: 60_000 },
    });
    fault.link.cut();
    await producer.produce(20);
    expect(producer.produced.length).toBeGreaterThanOrEqual(6);
    expect(producer.produced.length).toBeLessThan(20);
    expect(producer.refused).toBe(20 - producer.produced.length);
    const refusals = (await producer.metrics.outboxRefusals.get()).values.reduce((n, v) => n + v.value, 0);
    expect(refusals).toBeGreaterThanOrEqual(producer.refused);
    fault.link.restore();
    // Receipts free the room; production goes on.
    await waitFor('outbox drained', async () => ((await outboxMessages(fault.site)) === 0 ? true : undefined), 60_000);
    const refusedBefore = producer.refused;
    await producer.produce(5);
    expect(producer.refused).toBe(refusedBefore);
    const { report, evidence } = await fault.verdict(producer.produced);
    expect(report).toEqual(CLEAN);
    expect(evidence).toEqual([]);
  });

  it('kill -9 of the device in the middle of an evidence upload', async () => {
    await using fault = await startFaultSite();
    await fault.startCore();
    const options = {
      site: fault.site.client(FAULT_DEVICE),
      siteId: FAULT_SITE,
      deviceId: FAULT_DEVICE,
      cameraId: 'cam-1',
      stateDir: fault.stateDir,
      evidenceBytes: 4_000_000, // an upload takes long enough to be killed inside it
      count: 40,
      intervalMs: 100,
    };
    const run = () =>
      spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'producer-main.ts')], {
        env: { ...process.env, ZEBRA_PRODUCER: JSON.stringify(options) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    for (let kill = 0; kill < 2; kill++) {
      const child = run();
      let produced = 0;
      child.stdout.on('data', (chunk: Buffer) => (produced += chunk.toString().split('produced').length - 1));
      await waitFor('device producing', () => Promise.resolve(produced >= 2 ? true : undefined), 60_000);
      // Its spool sending evidence to the site outbox: kill it inside an upload.
      await waitFor('an upload under way', () => uploadCutShort(fault.stateDir), 60_000, 5);
      await killProcess(child);
      // The kill must land inside the upload, or this proves nothing.
      expect(await uploadCutShort(fault.stateDir)).toBeDefined();
      // The device held events in its spool at the kill (sent on its next start).
      const spooled = await readdir(join(fault.stateDir, 'spool', 'ready')).catch(() => []);
      expect(spooled.length, 'events in the device spool at the kill').toBeGreaterThan(0);
    }
    options.count = 3;
    const last = run();
    expect(await new Promise((r) => last.once('exit', r))).toBe(0);
    const { produced, indeterminate } = await producedLog(fault.stateDir);
    const { report, evidence } = await fault.verdict(produced, 90_000, indeterminate);
    expect(report).toEqual(CLEAN);
    expect(evidence).toEqual([]);
  });

  it('malformed, forged and misaddressed messages interleaved with valid ones', async () => {
    await using fault = await startFaultSite();
    await fault.startCore();
    const producer = await fault.startProducer({ evidenceBytes: 10_000 });
    // The setup identity: it may publish anything anywhere, as a hostile or broken sender would try.
    const raw = await fault.site.connect();
    const { jetstream } = await import('@nats-io/jetstream');
    const js = jetstream(raw);
    const subject = eventSubject(FAULT_SITE, FAULT_DEVICE, 'cam-1');
    const bad = [
      () => js.publish(subject, new Uint8Array([0xff, 0x00, 0x13, 0x37])),
      () => js.publish(subject, new TextEncoder().encode('{"not":"protobuf"}')),
      () => {
        const forged = makeEvent(otherDeviceKey().privateKey, {
          siteId: FAULT_SITE,
          deviceId: FAULT_DEVICE,
          cameraSeq: 9_000,
        });
        return js.publish(subject, InfractionEvent.encode(forged).finish());
      },
      () => {
        const elsewhere = makeEvent(otherDeviceKey().privateKey, { siteId: FAULT_SITE, deviceId: 'dev-other' });
        return js.publish(subject, InfractionEvent.encode(elsewhere).finish());
      },
    ];
    for (let i = 0; i < 40; i++) {
      await producer.produceOne();
      if (i % 5 === 0) await bad[(i / 5) % bad.length]!();
    }
    await raw.close();
    // Quarantined messages are receipted too: the outbox empties.
    await waitFor('outbox drained', async () => ((await outboxMessages(fault.site)) === 0 ? true : undefined));
    const { report, evidence } = await fault.verdict(producer.produced);
    expect(report).toEqual(CLEAN);
    expect(evidence).toEqual([]);
    await using db = await openTestDatabase(fault.database);
    const quarantined = await db.query<{ reason_code: string; n: string }>(
      'SELECT reason_code, count(*) AS n FROM quarantine GROUP BY reason_code ORDER BY reason_code',
    );
    expect(Object.fromEntries(quarantined.rows.map((r) => [r.reason_code, Number(r.n)]))).toEqual({
      subject_mismatch: 2,
      undecodable: 4,
      unknown_key: 2,
    });
  });
});
