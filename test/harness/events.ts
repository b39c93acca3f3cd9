import { createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  CandidateTally,
  InfractionEvent,
  SignalSourceKind,
  SignalState,
  eventSigningBytes,
  keyIdOf,
  tallySigningBytes,
} from '../../proto/index.js';

const TEST_KEY = generateKeyPairSync('ed25519');

/** The test device's key pair: the same in every call, registered by the test harness as dev-1 at site-1. */
export function testDeviceKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return TEST_KEY;
}

/** A fresh key pair that no harness registers (a forger's, or another device's). */
export function otherDeviceKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

/** The key id a device puts in its signatures: 16 hex digits of SHA-256 over the SPKI DER. */
export { keyIdOf };

/** The test device as the admin API registers it. */
export const TEST_DEVICE = {
  deviceId: 'dev-1',
  siteId: 'site-1',
  publicKeyPem: TEST_KEY.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};

/** A valid, signed InfractionEvent for tests; fields can be overridden. */
export function makeEvent(privateKey: KeyObject, overrides: Partial<InfractionEvent> = {}): InfractionEvent {
  const occurredAtMs = overrides.occurredAtMs ?? Date.now();
  const event = InfractionEvent.fromPartial({
    eventId: randomUUID(),
    deviceId: 'dev-1',
    siteId: 'site-1',
    cameraId: 'cam-1',
    cameraSeq: 1,
    occurredAtMs,
    signal: {
      state: SignalState.SIGNAL_STATE_STEADY_DONT_WALK,
      stateBeganAtMs: occurredAtMs - 5_000,
      msSinceSteadyDontWalk: 5_000,
      source: SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE,
      sourceId: 'test@1',
      readAtMs: occurredAtMs,
    },
    zoneId: 'zone-1',
    zoneVersion: 1,
    zonePolygon: [
      { x: 0.3, y: 0.45 },
      { x: 0.7, y: 0.45 },
      { x: 0.75, y: 0.7 },
      { x: 0.25, y: 0.7 },
    ],
    track: {
      trackId: 7,
      observations: [
        { capturedAtMs: occurredAtMs - 800, box: { x1: 0.42, y1: 0.12, x2: 0.47, y2: 0.38 }, score: 0.8 },
        { capturedAtMs: occurredAtMs - 400, box: { x1: 0.41, y1: 0.2, x2: 0.46, y2: 0.46 }, score: 0.8 },
        { capturedAtMs: occurredAtMs, box: { x1: 0.4, y1: 0.3, x2: 0.45, y2: 0.55 }, score: 0.8 },
      ],
    },
    confidence: { value: 0.8, parts: [{ name: 'detection', value: 0.8 }] },
    edgeSoftwareVersion: 'test',
    ...overrides,
  });
  const signature = sign(null, eventSigningBytes(event), privateKey);
  return { ...event, signature: { algorithm: 'ed25519', keyId: keyIdOf(createPublicKey(privateKey)), signature } };
}

/** The subject an event belongs on. */
export function subjectOf(event: InfractionEvent): string {
  return `zebra.v1.events.${event.siteId}.${event.deviceId}.${event.cameraId}`;
}

/** A signed CandidateTally for tests. */
export function makeTally(privateKey: KeyObject, overrides: Partial<CandidateTally> = {}): CandidateTally {
  const tally = CandidateTally.fromPartial({
    deviceId: 'dev-1',
    siteId: 'site-1',
    cameraId: 'cam-1',
    hourStartMs: Math.floor(Date.now() / 3_600_000) * 3_600_000,
    counts: [{ reasonCode: 'lawful_walk', count: 1 }],
    ...overrides,
  });
  const signature = sign(null, tallySigningBytes(tally), privateKey);
  return { ...tally, signature: { algorithm: 'ed25519', keyId: keyIdOf(createPublicKey(privateKey)), signature } };
}
