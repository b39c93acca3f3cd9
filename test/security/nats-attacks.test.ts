import { connect as tcpConnect } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EDGE_STREAM,
  EVIDENCE_STREAM,
  INFRACTIONS_STREAM,
  InfractionEvent,
  SignalPhaseReport,
  SignalState,
  eventSubject,
  signalSubject,
} from '../../proto/index.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import { TEST_INGEST_DURABLE, startTestNats, startTestSite } from '../harness/nats.js';
import type { TestNats } from '../harness/nats.js';
import { waitFor } from '../harness/temp.js';
import { setupTestHubDefaults } from '../harness/nats-setup.js';

const SITE = 'site-1';
const DEVICE = 'dev-1';
const OTHER_DEVICE = 'dev-2';
const CONTROLLER = 'ctl-1';

/** What a bare TCP client gets from a NATS port: the server's INFO line, then its answer to CONNECT. */
function cleartextConnect(
  port: number,
): Promise<{ info: { tls_required?: boolean }; answer: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    let buffer = '';
    let info: { tls_required?: boolean } | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ info: info ?? {}, answer: buffer, closedByServer: false });
    }, 3_000);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (!info && buffer.includes('\r\n')) {
        info = JSON.parse(buffer.slice(buffer.indexOf('{'), buffer.indexOf('\r\n'))) as { tls_required?: boolean };
        buffer = '';
        socket.write('CONNECT {"verbose":false}\r\nPING\r\nSUB zebra.v1.events.> 1\r\n');
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ info: info ?? {}, answer: buffer, closedByServer: true });
    });
    socket.on('error', reject);
  });
}

describe('NATS attacks on the hub and a site leaf node', () => {
  let hub: TestNats;
  let site: TestNats;
  let device: NatsConnection;
  let controller: NatsConnection;
  let core: NatsConnection;

  beforeAll(async () => {
    hub = await startTestNats();
    site = await startTestSite(SITE, hub.leafUrl, undefined, {
      devices: [DEVICE, OTHER_DEVICE],
      controllers: [CONTROLLER],
    });
    await setupTestHubDefaults(hub, [SITE]);
    device = await site.connect(DEVICE);
    controller = await site.connect(`controller-${CONTROLLER}`);
    core = await hub.connect('core');
    // A signed event, stored in the site outbox and sourced to the hub: the target of the attacks.
    const event = makeEvent(testDeviceKey().privateKey, { siteId: SITE, deviceId: DEVICE, cameraSeq: 1 });
    await jetstream(device).publish(eventSubject(SITE, DEVICE, event.cameraId), InfractionEvent.encode(event).finish());
    const jsm = await jetstreamManager(core, { checkAPI: false });
    await waitFor('the event sourced to the hub', async () =>
      (await jsm.streams.info(INFRACTIONS_STREAM)).state.messages === 1 ? true : undefined,
    );
  });

  afterAll(async () => {
    for (const nc of [device, controller, core]) await nc?.close();
    await site?.[Symbol.asyncDispose]();
    await hub?.[Symbol.asyncDispose]();
  });

  it('refuses anonymous clients on the hub and on the site', async () => {
    for (const server of [hub, site]) {
      await expect(connect(server.options(undefined, { user: undefined, pass: undefined }))).rejects.toThrow(
        /Authorization Violation/i,
      );
      await expect(connect(server.options('setup', { pass: 'guessed' }))).rejects.toThrow(/Authorization Violation/i);
    }
  });

  it('refuses a cleartext client before it can read anything', async () => {
    for (const server of [hub, site]) {
      const { info, answer, closedByServer } = await cleartextConnect(server.port);
      expect(info.tls_required).toBe(true);
      // It expected a TLS handshake: the plain CONNECT gets no PONG, no message, only a closed socket.
      expect(closedByServer).toBe(true);
      expect(answer).not.toMatch(/PONG|MSG |\+OK/);
    }
  });

  it('refuses a client that does not trust the deployment CA', async () => {
    await expect(connect(hub.options('setup', { tls: {} }))).rejects.toThrow(/certificate|self.signed|verify/i);
  });

  it("a device cannot delete a signed event, from its site's outbox or the hub's stream", async () => {
    const local = await jetstreamManager(device, { checkAPI: false });
    await expect(local.streams.purge(EDGE_STREAM)).rejects.toThrow(/Permissions Violation/);
    const toHub = await jetstreamManager(device, { checkAPI: false, domain: 'hub' });
    await expect(toHub.streams.deleteMessage(INFRACTIONS_STREAM, 1)).rejects.toThrow(/Permissions Violation/);
    await expect(toHub.streams.purge(INFRACTIONS_STREAM)).rejects.toThrow(/Permissions Violation/);
    expect(
      (await (await jetstreamManager(core, { checkAPI: false })).streams.info(INFRACTIONS_STREAM)).state.messages,
    ).toBe(1);
  });

  it('a device cannot shrink the outbox or change any stream or consumer', async () => {
    const jsm = await jetstreamManager(device, { checkAPI: false });
    await expect(jsm.streams.update(EDGE_STREAM, { max_bytes: 1024 })).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.update(EVIDENCE_STREAM, { max_bytes: 1024 })).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.delete(EDGE_STREAM)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.consumers.delete('RECEIPTS', `receipts-${DEVICE}`)).rejects.toThrow(/Permissions Violation/);
    const info = await (await jetstreamManager(await site.connect(), { checkAPI: false })).streams.info(EDGE_STREAM);
    expect(info.config.max_bytes).toBeGreaterThan(1024);
  });

  it('a device cannot publish a signal report, nor as another device; a controller only its own signal', async () => {
    const report = SignalPhaseReport.encode({
      controllerId: CONTROLLER,
      state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
      stateBeganAtMs: Date.now(),
      sentAtMs: Date.now(),
      sequence: 1,
    }).finish();
    await expect(
      jetstream(device).publish(eventSubject(SITE, 'dev-2', 'cam-1'), new Uint8Array([1]), { timeout: 2_000 }),
    ).rejects.toThrow(/Permissions Violation/);
    // Core NATS publishes are fire-and-forget: the server tells the client asynchronously.
    const refusals = (nc: NatsConnection): Promise<string> =>
      (async () => {
        for await (const s of nc.status()) if (s.type === 'error') return String((s as { error?: unknown }).error);
        return '';
      })();
    const deviceRefused = refusals(device);
    device.publish(signalSubject(SITE, CONTROLLER), report);
    expect(await deviceRefused).toMatch(/Permissions Violation for Publish to "zebra\.v1\.signal\.site-1\.ctl-1"/);
    const controllerRefused = refusals(controller);
    controller.publish(signalSubject(SITE, 'ctl-2'), report);
    expect(await controllerRefused).toMatch(/Permissions Violation for Publish to "zebra\.v1\.signal\.site-1\.ctl-2"/);
    await expect(
      jetstream(controller).publish(eventSubject(SITE, DEVICE, 'cam-1'), new Uint8Array([1]), { timeout: 2_000 }),
    ).rejects.toThrow(/Permissions Violation/);
  });

  it("a device cannot read the replies the core gets across the link (another's inbox)", async () => {
    const sniffer = await site.connect(OTHER_DEVICE);
    try {
      const errors: string[] = [];
      void (async () => {
        for await (const s of sniffer.status()) if (s.type === 'error') errors.push(String(s.error));
      })();
      const seen: string[] = [];
      const record = (err: Error | null, msg: Msg): void => void (err ? undefined : seen.push(msg.subject));
      sniffer.subscribe('_INBOX.>', { callback: record });
      sniffer.subscribe('_INBOX_core.>', { callback: record });
      await sniffer.flush(); // the server has answered both subscriptions
      // The core reads the signed event from the site's outbox across the leaf link.
      const outbox = await jetstream(core, { domain: SITE }).consumers.get(EDGE_STREAM);
      expect((await outbox.next({ expires: 5_000 }))?.subject).toMatch(/^zebra\.v1\.events\./);
      // Anything routed to the sniffer before the core had its reply arrives before this round trip ends.
      await sniffer.flush();
      expect(seen).toEqual([]);
      expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "_INBOX\.>"/);
    } finally {
      await sniffer.close();
    }
  });

  it("a device cannot settle the core's ingest of an event (acks only on its own receipts)", async () => {
    const errors: string[] = [];
    void (async () => {
      for await (const s of device.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
    // An ack names the stream sequence it settles: this one would ack event 1 for the core.
    device.publish(`$JS.ACK.${INFRACTIONS_STREAM}.${TEST_INGEST_DURABLE}.1.1.1.0.0`);
    await device.flush();
    await waitFor('the refusal', () => Promise.resolve(errors.length > 0 ? true : undefined), 5_000);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "\$JS\.ACK\.INFRACTIONS\.core-ingest\./);
  });

  it('a controller cannot read events or evidence', async () => {
    const errors = (async () => {
      for await (const s of controller.status())
        if (s.type === 'error') return String((s as { error?: unknown }).error);
      return '';
    })();
    controller.subscribe('zebra.v1.events.>');
    expect(await errors).toMatch(/Permissions Violation for Subscription to "zebra\.v1\.events\.>"/);
  });

  it("the core's own user cannot delete, purge or resize what it consumes", async () => {
    const jsm = await jetstreamManager(core, { checkAPI: false });
    await expect(jsm.streams.deleteMessage(INFRACTIONS_STREAM, 1)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.update(INFRACTIONS_STREAM, { max_bytes: 1024 })).rejects.toThrow(/Permissions Violation/);
    const toSite = await jetstreamManager(core, { checkAPI: false, domain: SITE });
    await expect(toSite.streams.deleteMessage(EDGE_STREAM, 1)).rejects.toThrow(/Permissions Violation/);
    await expect(toSite.streams.update(EDGE_STREAM, { max_bytes: 1024 })).rejects.toThrow(/Permissions Violation/);
  });
});
