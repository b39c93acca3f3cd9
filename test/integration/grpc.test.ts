import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { ApiClient } from '../../cli/api-client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvent } from '../../core/index.js';
import { InfractionEvent, ReviewState } from '../../proto/index.js';
import type { GetEventResponse, ListEventsRequest, ListEventsResponse } from '../../proto/index.js';
import { startTestCore } from '../harness/core.js';
import type { TestCore } from '../harness/core.js';
import { createTestDatabase } from '../harness/database.js';
import type { TestDatabaseTarget } from '../harness/database.js';
import { makeEvent, testDeviceKey } from '../harness/events.js';
import { startTestNats } from '../harness/nats.js';
import type { TestNats } from '../harness/nats.js';

describe('EventService over gRPC on loopback', () => {
  let nats: TestNats;
  let database: TestDatabaseTarget;
  let core: TestCore;
  let client: ApiClient;
  const events: InfractionEvent[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    database = await createTestDatabase();
    core = await startTestCore(nats, database);
    client = await core.person('ruth', ['reviewer']);
    const { privateKey } = testDeviceKey();
    for (let i = 0; i < 7; i++) {
      const event = makeEvent(privateKey, {
        cameraSeq: i + 1,
        occurredAtMs: 1_700_000_000_000 + i * 1000,
        cameraId: i % 2 ? 'cam-odd' : 'cam-even',
      });
      events.push(event);
      await insertEvent(core.core.db, event, 100 + i);
    }
  });

  afterAll(async () => {
    await core?.[Symbol.asyncDispose]();
    await nats?.[Symbol.asyncDispose]();
    await database?.[Symbol.asyncDispose]();
  });

  const list = (req: Partial<ListEventsRequest>) =>
    client.call<ListEventsResponse>('/zebra.v1.EventService/ListEvents', req);
  const get = (eventId: string) => client.call<GetEventResponse>('/zebra.v1.EventService/GetEvent', { eventId });

  it('pages through every event newest first without repeats', async () => {
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await list({ pageSize: 3, pageToken });
      expect(page.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.events.map((e) => e.eventId));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual([...events].reverse().map((e) => e.eventId));
  });

  it('filters by camera', async () => {
    const page = await list({ cameraId: 'cam-odd' });
    expect(page.events.map((e) => e.cameraId)).toEqual(['cam-odd', 'cam-odd', 'cam-odd']);
  });

  it('returns one event with its contract and review state', async () => {
    const response = await get(events[2]!.eventId);
    expect(response.event).toEqual(InfractionEvent.decode(InfractionEvent.encode(events[2]!).finish()));
    expect(response.reviewState).toBe(ReviewState.REVIEW_STATE_QUEUED);
    expect(response.streamSeq).toBe(102);
  });

  it.each([
    ['an unknown event', '00000000-0000-4000-8000-000000000000', status.NOT_FOUND],
    ['a malformed id', 'not-a-uuid', status.INVALID_ARGUMENT],
  ])('answers %s with a clear status', async (_what, eventId, code) => {
    await expect(get(eventId)).rejects.toMatchObject({ code } satisfies Partial<ServiceError>);
  });

  it('refuses a forged page token', async () => {
    await expect(list({ pageToken: 'Zm9yZ2Vk' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
