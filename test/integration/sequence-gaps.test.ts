import { jetstream } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { countEvents, insertEvent } from '../../core/index.js';
import { InfractionEvent } from '../../proto/index.js';
import { makeEvent, otherDeviceKey, subjectOf, testDeviceKey } from '../harness/events.js';
import { startTestStack } from '../harness/stack.js';
import { waitFor } from '../harness/temp.js';

interface Cameras {
  cameras: {
    deviceId: string;
    cameraId: string;
    highestSeq: number;
    storedCount: number;
    gaps: { firstMissing: number; lastMissing: number }[];
    gapCount: number;
    missingCount: number;
    untrackedThrough: number;
  }[];
}

describe('camera sequence numbers', () => {
  it('names every missing run per camera, including one left by a quarantined message', async () => {
    await using stack = await startTestStack();
    const db = stack.core.core.db;
    const { privateKey } = testDeviceKey();
    let streamSeq = 1;
    for (const [cameraId, seqs] of [
      ['cam-1', [1, 2, 5, 6, 9]],
      ['cam-2', [3, 4]],
    ] as const) {
      for (const cameraSeq of seqs) {
        await db.transaction((tx) => insertEvent(tx, makeEvent(privateKey, { cameraId, cameraSeq }), streamSeq++));
      }
    }
    // seq 10 arrives forged and is quarantined; seq 11 arrives fine.
    const js = jetstream(stack.nc);
    const forged = makeEvent(otherDeviceKey().privateKey, { cameraId: 'cam-1', cameraSeq: 10 });
    const good = makeEvent(privateKey, { cameraId: 'cam-1', cameraSeq: 11 });
    for (const e of [forged, good]) await js.publish(subjectOf(e), InfractionEvent.encode(e).finish());
    await waitFor('seq 11 stored', async () => ((await countEvents(db)) === 8 ? true : undefined));
    const auditor = await stack.core.person('ada', ['auditor']);
    const { cameras } = await auditor.call<Cameras>('/zebra.v1.EventService/ListSequenceGaps');
    expect(cameras).toEqual([
      {
        deviceId: 'dev-1',
        cameraId: 'cam-1',
        highestSeq: 11,
        storedCount: 6,
        gaps: [
          { firstMissing: 3, lastMissing: 4 },
          { firstMissing: 7, lastMissing: 8 },
          { firstMissing: 10, lastMissing: 10 },
        ],
        gapCount: 3,
        missingCount: 5,
        untrackedThrough: 0,
      },
      {
        deviceId: 'dev-1',
        cameraId: 'cam-2',
        highestSeq: 4,
        storedCount: 2,
        gaps: [{ firstMissing: 1, lastMissing: 2 }],
        gapCount: 1,
        missingCount: 2,
        untrackedThrough: 0,
      },
    ]);
  });
});
