import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeLogger } from '../../edge/index.js';
import { JetStreamPublisher } from '../../edge/publish/publisher.js';
import { EVIDENCE_BUCKET, INFRACTIONS_STREAM, InfractionEvent, devicePermissions } from '../../proto/index.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { TEST_INGEST_DURABLE, startTestNats, testUser } from '../harness/nats.js';
import type { TestNats } from '../harness/nats.js';
import { setupTestHubDefaults } from '../harness/nats-setup.js';

const USERS = [
  testUser('dev-1', devicePermissions('site-1', 'dev-1')),
  testUser('dev-2', devicePermissions('site-1', 'dev-2')),
];

describe('per-device NATS credentials on a real nats-server', () => {
  let nats: TestNats;
  let core: NatsConnection;
  let device: NatsConnection;

  beforeAll(async () => {
    nats = await startTestNats(USERS);
    await setupTestHubDefaults(nats);
    core = await nats.connect('core');
    device = await nats.connect('dev-1');
  });

  afterAll(async () => {
    await device?.close();
    await core?.close();
    await nats?.[Symbol.asyncDispose]();
  });

  const eventOf = (deviceId: string, cameraSeq: number) =>
    makeEvent(testDeviceKey().privateKey, { deviceId, cameraSeq });

  it('refuses a connection without valid credentials', async () => {
    await expect(connect(nats.options('dev-1', { pass: 'wrong' }))).rejects.toThrow(/Authorization/i);
    await expect(connect(nats.options('dev-1', { user: undefined, pass: undefined }))).rejects.toThrow(
      /Authorization/i,
    );
  });

  it('lets a device store evidence and publish events on its own subjects', async () => {
    const store = await new Objm(device).open(EVIDENCE_BUCKET);
    await store.putBlob({ name: 'site-1/cam-1/e1/entry.jpg' }, new Uint8Array([1, 2, 3]));
    const event = eventOf('dev-1', 1);
    const ack = await jetstream(device).publish(subjectOf(event), InfractionEvent.encode(event).finish());
    expect(ack.stream).toBe(INFRACTIONS_STREAM);
  });

  it("works through the edge's own publisher with the device's credentials", async () => {
    const publisher = await JetStreamPublisher.connect(
      {
        servers: [nats.url],
        name: 'edge-test',
        maxAttempts: 1,
        retryDelayMs: 10,
        user: 'dev-1',
        password: nats.options('dev-1').pass!,
        caFile: nats.caFile,
      },
      createEdgeLogger('warn'),
    );
    try {
      await publisher.putEvidence('site-1/cam-1/e2/entry.jpg', new Uint8Array([4, 5, 6]), 'image/jpeg');
      await publisher.publishEvent(eventOf('dev-1', 2));
    } finally {
      await publisher.close();
    }
  });

  it('refuses device A publishing as device B, and nothing of it reaches the stream', async () => {
    const forged = eventOf('dev-2', 1);
    await expect(
      jetstream(device).publish(subjectOf(forged), InfractionEvent.encode(forged).finish(), { timeout: 2000 }),
    ).rejects.toThrow(/Permissions Violation/);
    const info = await (
      await jetstreamManager(core)
    ).streams.info(INFRACTIONS_STREAM, {
      subjects_filter: 'zebra.v1.events.>',
    });
    expect(Object.keys(info.state.subjects ?? {})).toEqual(['zebra.v1.events.site-1.dev-1.cam-1']);
  });

  it('refuses stream administration and purging evidence', async () => {
    const jsm = await jetstreamManager(device, { checkAPI: false });
    await expect(jsm.streams.delete(INFRACTIONS_STREAM)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.purge(`OBJ_${EVIDENCE_BUCKET}`)).rejects.toThrow(/Permissions Violation/);
    await expect((await jetstreamManager(core)).streams.info(INFRACTIONS_STREAM)).resolves.toBeDefined();
  });

  it("refuses the core's own user stream administration and message deletes", async () => {
    const jsm = await jetstreamManager(core, { checkAPI: false });
    await expect(jsm.streams.deleteMessage(INFRACTIONS_STREAM, 1)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.purge(INFRACTIONS_STREAM)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.update(INFRACTIONS_STREAM, { max_bytes: 1024 })).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.consumers.delete(INFRACTIONS_STREAM, TEST_INGEST_DURABLE)).rejects.toThrow(
      /Permissions Violation/,
    );
  });
});
