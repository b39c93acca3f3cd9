import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEX_PREVIEW_BYTES, decodePayload, formatQuarantined, hexPreview } from '../../../cli/quarantine.js';
import { InfractionEvent } from '../../../proto/index.js';
import { makeEvent, testDeviceKey } from '../../harness/events.js';

const base = {
  id: 3,
  streamSeq: 9,
  subject: 'zebra.v1.events.site-1.dev-1.cam-1',
  reasonCode: 'malformed',
  reason: 'x',
  receivedAtMs: 1_700_000_000_000,
  payloadSha256: '',
  releasedAtMs: 0,
  releasedEventId: '',
};

describe('quarantine show formatting', () => {
  it('hexPreview: one line per 16 bytes, and the hex reads back as the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const lines = hexPreview(bytes).split('\n').filter(Boolean);
        expect(lines).toHaveLength(Math.ceil(bytes.length / 16));
        const hex = lines.map((l) => l.slice(10, 10 + 47).trim()).join(' ');
        expect(Buffer.from(hex.replace(/ /g, ''), 'hex')).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('never prints more than the preview of a payload that does not decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 5000 }), (bytes) => {
        const text = formatQuarantined({
          message: { ...base, payloadSizeBytes: bytes.length, payloadKeptBytes: bytes.length },
          payloadHead: Buffer.from(bytes),
        });
        if (text.includes('Decoded message:')) return;
        const rows = text.split('\n').filter((l) => /^[0-9a-f]{8} {2}/.test(l));
        expect(rows.length).toBeLessThanOrEqual(HEX_PREVIEW_BYTES / 16);
      }),
    );
  });

  it('decodes a whole event, but not a cut one', () => {
    const event = makeEvent(testDeviceKey().privateKey, { cameraSeq: 1 });
    const bytes = InfractionEvent.encode(event).finish();
    expect(decodePayload(base.subject, bytes)).toMatchObject({ eventId: event.eventId });
    const cut = formatQuarantined({
      message: { ...base, payloadSizeBytes: bytes.length, payloadKeptBytes: 100 },
      payloadHead: Buffer.from(bytes.subarray(0, 100)),
    });
    expect(cut).toMatch(/does not decode \(only part was kept\); first 100 of \d+ bytes/);
  });
});
