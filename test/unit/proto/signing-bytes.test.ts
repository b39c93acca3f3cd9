import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InfractionEvent, eventSigningBytes, eventSigningBytesFromPayload } from '../../../proto/index.js';
import { makeEvent, testDeviceKey } from '../../harness/events.js';

describe('signing bytes from the received payload', () => {
  it('equal the re-encoded event without its signature (property)', () => {
    const { privateKey } = testDeviceKey();
    fc.assert(
      fc.property(
        fc.record({
          cameraSeq: fc.integer({ min: 1, max: 2 ** 40 }),
          zoneId: fc.string({ maxLength: 30 }),
          zoneVersion: fc.integer({ min: 0, max: 1000 }),
          infractionKind: fc.string({ maxLength: 20 }),
          evidenceCount: fc.integer({ min: 0, max: 6 }),
        }),
        ({ evidenceCount, ...fields }) => {
          const event = makeEvent(privateKey, {
            ...fields,
            evidence: Array.from({ length: evidenceCount }, (_, i) => ({
              objectKey: `k/${i}`,
              sha256Hex: 'ab'.repeat(32),
              mediaType: 'image/jpeg',
              sizeBytes: i * 1000,
              widthPx: 640,
              heightPx: 480,
              frameCapturedAtMs: 1_700_000_000_000 + i,
              redaction: undefined,
              role: 'entry',
              clipEndCapturedAtMs: 0,
              clipFrames: 0,
            })),
          });
          const payload = InfractionEvent.encode(event).finish();
          expect(Buffer.from(eventSigningBytesFromPayload(payload)!)).toEqual(Buffer.from(eventSigningBytes(event)));
        },
      ),
    );
  });

  it('refuses what is not protobuf at the top level', () => {
    expect(eventSigningBytesFromPayload(new Uint8Array([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(eventSigningBytesFromPayload(new Uint8Array([0x0a, 0x05, 0x01]))).toBeUndefined(); // length past the end
    expect(eventSigningBytesFromPayload(new Uint8Array([0x0b]))).toBeUndefined(); // group wire type
  });
});
