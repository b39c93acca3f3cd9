import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, getEvent } from '../../core/index.js';
import { InfractionEvent } from '../../proto/index.js';
import { ApiClient } from '../../cli/api-client.js';
import { TEST_DEVICE, keyIdOf, makeEvent, otherDeviceKey, subjectOf, testDeviceKey } from '../harness/events.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { waitFor } from '../harness/temp.js';

interface QuarantineRow {
  reason_code: string;
  reason: string;
  stream_seq: string | number;
}

describe('ingest verifies each event against its device registered key', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  async function publish(event: InfractionEvent): Promise<number> {
    const ack = await jetstream(stack.nc).publish(subjectOf(event), InfractionEvent.encode(event).finish());
    return ack.seq;
  }

  async function quarantined(streamSeq: number): Promise<QuarantineRow> {
    return waitFor(`stream seq ${streamSeq} quarantined`, async () => {
      const { rows } = await stack.core.core.db.query<QuarantineRow>(
        'SELECT reason_code, reason, stream_seq FROM quarantine WHERE stream_seq = $1',
        [streamSeq],
      );
      return rows[0];
    });
  }

  it('stores a correctly signed event with the key it verified', async () => {
    const event = makeEvent(testDeviceKey().privateKey, { cameraSeq: 1 });
    await publish(event);
    await waitFor('stored', async () => ((await countEvents(stack.core.core.db)) === 1 ? true : undefined));
    const stored = await getEvent(stack.core.core.db, event.eventId);
    expect(stored.signatureKeyId).toBe(keyIdOf(testDeviceKey().publicKey));
  });

  it.each([
    [
      'a forged signature (another key claiming the registered key id)',
      () => {
        const forged = makeEvent(otherDeviceKey().privateKey, { cameraSeq: 2 });
        return { ...forged, signature: { ...forged.signature!, keyId: keyIdOf(testDeviceKey().publicKey) } };
      },
      'bad_signature',
    ],
    [
      'a key the device is not registered with',
      () => makeEvent(otherDeviceKey().privateKey, { cameraSeq: 3 }),
      'unknown_key',
    ],
    [
      'an edited event (the signature no longer covers it)',
      () => ({ ...makeEvent(testDeviceKey().privateKey, { cameraSeq: 4 }), confidence: { value: 0.99, parts: [] } }),
      'bad_signature',
    ],
    [
      'an unregistered device',
      () => makeEvent(testDeviceKey().privateKey, { cameraSeq: 5, deviceId: 'dev-9' }),
      'unknown_device',
    ],
    [
      'a registered device claiming another site',
      () => makeEvent(testDeviceKey().privateKey, { cameraSeq: 6, siteId: 'site-2' }),
      'site_mismatch',
    ],
  ])('quarantines %s, with the reason', async (_what, build, code) => {
    const event = build();
    const seq = await publish(event);
    const row = await quarantined(seq);
    expect(row.reason_code).toBe(code);
    await expect(getEvent(stack.core.core.db, event.eventId)).rejects.toMatchObject({ code: 'CORE_EVENT_NOT_FOUND' });
  });

  it('releases the events of a device registered after they arrived, once, and audits it', async () => {
    const early = makeEvent(testDeviceKey().privateKey, { cameraSeq: 1, deviceId: 'dev-late' });
    const seq = await publish(early);
    expect((await quarantined(seq)).reason_code).toBe('unknown_device');
    const admin = new ApiClient(stack.core.core.grpcAddress, stack.core.adminToken, stack.core.tls);
    try {
      const register = () =>
        admin.call<{ releasedEvents: number }>('/zebra.v1.AdminService/RegisterDevice', {
          ...TEST_DEVICE,
          deviceId: 'dev-late',
        });
      await expect(register()).resolves.toMatchObject({ releasedEvents: 1 });
      expect((await getEvent(stack.core.core.db, early.eventId)).signatureKeyId).toBe(
        keyIdOf(testDeviceKey().publicKey),
      );
      await expect(register()).resolves.toMatchObject({ releasedEvents: 0 });
    } finally {
      admin.close();
    }
    const { rows } = await stack.core.core.db.query<{ n: string | number }>(
      "SELECT count(*) AS n FROM audit_log WHERE action = 'message.released'",
    );
    expect(Number(rows[0]!.n)).toBe(1);
  });
});
