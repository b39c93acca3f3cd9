import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, getEvent } from '../../core/index.js';
import { InfractionEvent } from '../../proto/index.js';
import type { TestCore } from '../harness/core.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { waitFor } from '../harness/temp.js';

describe('ingest on a real nats-server and database', () => {
  let stack: TestStack;
  let core: TestCore;
  let nc: NatsConnection;
  const { privateKey } = testDeviceKey();

  beforeAll(async () => {
    stack = await startTestStack();
    ({ core, nc } = stack);
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const db = () => core.core.db;
  const publish = (subject: string, data: Uint8Array, msgID?: string) =>
    jetstream(nc).publish(subject, data, msgID ? { msgID } : {});
  const storedCount = async (n: number) =>
    waitFor(`${n} stored events`, async () => ((await countEvents(db())) >= n ? true : undefined));

  it('stores an event with its full contract', async () => {
    const event = makeEvent(privateKey, { cameraSeq: 1 });
    await publish(subjectOf(event), InfractionEvent.encode(event).finish(), event.eventId);
    await storedCount(1);
    const stored = await getEvent(db(), event.eventId);
    expect(stored.event).toEqual(InfractionEvent.decode(InfractionEvent.encode(event).finish()));
    expect(stored.streamSeq).toBeGreaterThan(0);
  });

  it("stores the same event only once, even past JetStream's duplicate window", async () => {
    const before = await countEvents(db());
    const event = makeEvent(privateKey, { cameraSeq: 2 });
    const bytes = InfractionEvent.encode(event).finish();
    // Different msgIDs defeat JetStream's de-duplication, as a replay after hours would.
    await publish(subjectOf(event), bytes, `${event.eventId}-a`);
    await publish(subjectOf(event), bytes, `${event.eventId}-b`);
    const marker = makeEvent(privateKey, { cameraSeq: 3 });
    await publish(subjectOf(marker), InfractionEvent.encode(marker).finish());
    await waitFor('marker event', async () => getEvent(db(), marker.eventId).catch(() => undefined));
    expect(await countEvents(db())).toBe(before + 2);
    const duplicates = core.core.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE event_id = $1', [
      event.eventId,
    ]);
    expect((await duplicates).rows[0]!.n).toBe(1);
  });

  it('quarantines a malformed message with a logged reason and goes on ingesting', async () => {
    const before = await countEvents(db());
    const garbage = new TextEncoder().encode('this is not protobuf');
    const { seq } = await publish('zebra.v1.events.site-1.dev-1.cam-1', garbage);
    const good = makeEvent(privateKey, { cameraSeq: 4 });
    await publish(subjectOf(good), InfractionEvent.encode(good).finish());
    await waitFor('good event after the bad one', async () => getEvent(db(), good.eventId).catch(() => undefined));
    expect(await countEvents(db())).toBe(before + 1);
    const log = core.logs.lines.find((l) => l.msg === 'message quarantined' && l.streamSeq === seq);
    expect(log).toMatchObject({ subject: 'zebra.v1.events.site-1.dev-1.cam-1', reason: expect.stringMatching(/\w/) });
    const { rows } = await db().query<{ reason_code: string; payload: Uint8Array }>(
      'SELECT reason_code, payload FROM quarantine WHERE stream_seq = $1',
      [seq],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reason_code).toBe(log!.reasonCode);
    expect(Buffer.from(rows[0]!.payload)).toEqual(Buffer.from(garbage));
  });

  it("quarantines an event that reuses another event's camera sequence number", async () => {
    const first = makeEvent(privateKey, { cameraSeq: 50 });
    const clash = makeEvent(privateKey, { cameraSeq: 50 });
    await publish(subjectOf(first), InfractionEvent.encode(first).finish());
    await publish(subjectOf(clash), InfractionEvent.encode(clash).finish());
    await waitFor('sequence conflict quarantined', () =>
      Promise.resolve(
        core.logs.lines.find((l) => l.msg === 'message quarantined' && l.reasonCode === 'sequence_conflict'),
      ),
    );
    await expect(getEvent(db(), first.eventId)).resolves.toBeDefined();
    await expect(getEvent(db(), clash.eventId)).rejects.toMatchObject({ code: 'CORE_EVENT_NOT_FOUND' });
  });

  it("quarantines an event published on another device's subject", async () => {
    const event = makeEvent(privateKey, { cameraSeq: 60 });
    await publish('zebra.v1.events.site-1.intruder.cam-1', InfractionEvent.encode(event).finish());
    await waitFor('subject mismatch quarantined', () =>
      Promise.resolve(
        core.logs.lines.find((l) => l.msg === 'message quarantined' && l.reasonCode === 'subject_mismatch'),
      ),
    );
    await expect(getEvent(db(), event.eventId)).rejects.toMatchObject({ code: 'CORE_EVENT_NOT_FOUND' });
  });
});
