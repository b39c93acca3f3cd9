import { describe, expect, it } from 'vitest';
import { validateEventMessage } from '../../../core/ingest/validate.js';
import { InfractionEvent, SignalState } from '../../../proto/index.js';
import { makeEvent, subjectOf, testDeviceKey } from '../../harness/events.js';

const { privateKey } = testDeviceKey();

function check(overrides: Partial<InfractionEvent>, subject?: string) {
  const event = makeEvent(privateKey, overrides);
  return validateEventMessage(subject ?? subjectOf(event), InfractionEvent.encode(event).finish());
}

describe('ingest validation', () => {
  it('accepts a well-formed event on its own subject', () => {
    const result = check({});
    expect(result.ok).toBe(true);
  });

  it.each([
    ['undecodable', new Uint8Array([0xff, 0xff, 0xff, 0xff])],
    ['undecodable', new TextEncoder().encode('{"eventId":"json is not protobuf"}')],
  ] as const)('rejects garbage bytes as %s', (code, bytes) => {
    expect(validateEventMessage('zebra.v1.events.a.b.c', bytes)).toMatchObject({ ok: false, code });
  });

  it.each([
    [{ eventId: '' }, 'missing_field', /event_id/],
    [{ eventId: 'not-a-uuid' }, 'invalid_field', /event_id/],
    [{ cameraId: '' }, 'missing_field', /camera_id/],
    [{ deviceId: 'a.b' }, 'invalid_field', /device_id/],
    [{ cameraSeq: 0 }, 'invalid_field', /camera_seq/],
    [{ occurredAtMs: 0 }, 'invalid_field', /occurred_at_ms/],
    [
      {
        signal: {
          state: SignalState.SIGNAL_STATE_UNSPECIFIED,
          stateBeganAtMs: 0,
          msSinceSteadyDontWalk: 0,
          source: 0,
          sourceId: '',
          readAtMs: 0,
        },
      },
      'missing_field',
      /signal/,
    ],
  ] as const)('rejects %j with %s', (overrides, code, reason) => {
    expect(check(overrides as Partial<InfractionEvent>)).toMatchObject({
      ok: false,
      code,
      reason: expect.stringMatching(reason),
    });
  });

  it('rejects an unsigned event', () => {
    const event = { ...makeEvent(privateKey), signature: undefined };
    expect(validateEventMessage(subjectOf(event), InfractionEvent.encode(event).finish())).toMatchObject({
      ok: false,
      code: 'missing_field',
    });
  });

  it("rejects an event published on another device's subject", () => {
    expect(check({}, 'zebra.v1.events.site-1.other-device.cam-1')).toMatchObject({
      ok: false,
      code: 'subject_mismatch',
    });
  });
});

describe('evidence media types at ingest', () => {
  const ref = (mediaType: string) => ({
    objectKey: `site-1/cam-1/e/entry.${mediaType.split('/')[1] ?? 'x'}`,
    sha256Hex: 'ab'.repeat(32),
    mediaType,
    sizeBytes: 1,
    widthPx: 0,
    heightPx: 0,
    frameCapturedAtMs: 1,
    redaction: undefined,
    clipEndCapturedAtMs: 0,
    clipFrames: 0,
    role: 'entry',
  });

  it('accepts what the edge produces: image/jpeg and video/webm', () => {
    expect(check({ evidence: [ref('image/jpeg'), ref('video/webm')] }).ok).toBe(true);
  });

  it.each(['text/html', 'image/svg+xml', 'application/octet-stream', 'IMAGE/JPEG', 'image/jpeg; charset=utf-8', ''])(
    'refuses evidence named %j',
    (mediaType) => {
      expect(check({ evidence: [ref('image/jpeg'), ref(mediaType)] })).toMatchObject({
        ok: false,
        code: 'media_type_refused',
        reason: expect.stringMatching(/only image\/jpeg, video\/webm are accepted/) as string,
      });
    },
  );
});
