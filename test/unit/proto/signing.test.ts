import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InfractionEvent, eventSigningBytes } from '../../../proto/index.js';
import { makeEvent, otherDeviceKey, testDeviceKey } from '../../harness/events.js';

describe('event signature', () => {
  const { privateKey, publicKey } = testDeviceKey();

  it('verifies after a protobuf round trip', () => {
    const event = InfractionEvent.decode(InfractionEvent.encode(makeEvent(privateKey)).finish());
    expect(verify(null, eventSigningBytes(event), publicKey, event.signature!.signature)).toBe(true);
  });

  it('fails when any signed field changes', () => {
    const event = makeEvent(privateKey);
    const tampered = { ...event, cameraSeq: event.cameraSeq + 1 };
    expect(verify(null, eventSigningBytes(tampered), publicKey, event.signature!.signature)).toBe(false);
  });

  it('fails against another device key', () => {
    const event = makeEvent(privateKey);
    expect(verify(null, eventSigningBytes(event), otherDeviceKey().publicKey, event.signature!.signature)).toBe(false);
  });
});
