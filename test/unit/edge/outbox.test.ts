import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JetStreamApiError } from '@nats-io/jetstream';
import {
  isMessageGone,
  isOutboxFullError,
  loadCoreKey,
  outboxLimits,
  purgeTarget,
} from '../../../edge/outbox/index.js';
import { tempDir } from '../../harness/temp.js';
import {
  InfractionEvent,
  Receipt,
  ReceiptKind,
  ReceiptOutcome,
  eventSubject,
  keyIdOf,
  tallySubject,
} from '../../../proto/index.js';

const ME = { siteId: 'site-1', deviceId: 'dev-1' };
const eventBytes = (eventId: string, keys: string[]): Uint8Array =>
  InfractionEvent.encode(
    InfractionEvent.fromPartial({ eventId, evidence: keys.map((objectKey) => ({ objectKey })) }),
  ).finish();
const receipt = (overrides: Partial<Receipt>): Receipt =>
  Receipt.fromPartial({
    ...ME,
    cameraId: 'cam-1',
    kind: ReceiptKind.RECEIPT_KIND_EVENT,
    eventId: 'e-1',
    outcome: ReceiptOutcome.RECEIPT_OUTCOME_STORED,
    sourceSequence: 7,
    ...overrides,
  });

describe('outbox sizing', () => {
  it('holds the promised outage at the peak rate, plus every camera’s tallies', () => {
    const limits = outboxLimits(
      { promisedOutageHours: 72, peakEventsPerHour: 60, eventBytes: 32_768, evidenceBytesPerEvent: 2_000_000 },
      4,
    );
    expect(limits.events).toBe(4_320);
    expect(limits.evidenceMaxBytes).toBe(4_320 * 2_000_000);
    expect(limits.eventsMaxBytes).toBe(4_320 * 32_768 + 72 * 4 * 12 * 4_096);
  });

  it('grows with the outage and the rate, never shrinks', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 500, noNaN: true }), fc.integer({ min: 1, max: 5000 }), (hours, rate) => {
        const sizing = {
          promisedOutageHours: hours,
          peakEventsPerHour: rate,
          eventBytes: 4096,
          evidenceBytesPerEvent: 10_000,
        };
        const a = outboxLimits(sizing, 2);
        const b = outboxLimits({ ...sizing, promisedOutageHours: hours * 2 }, 2);
        expect(a.events).toBeGreaterThanOrEqual(hours * rate);
        expect(b.eventsMaxBytes).toBeGreaterThan(a.eventsMaxBytes);
        expect(b.evidenceMaxBytes).toBeGreaterThanOrEqual(a.evidenceMaxBytes);
      }),
    );
  });

  it('recognises a full discard-new stream by its error code, not its wording', () => {
    const api = (err_code: number, description: string): JetStreamApiError =>
      new JetStreamApiError({ code: 503, err_code, description });
    expect(isOutboxFullError(api(10077, 'maximum bytes exceeded'))).toBe(true);
    expect(isOutboxFullError(api(10077, 'maximum messages per subject exceeded'))).toBe(true);
    expect(isOutboxFullError(api(10023, 'insufficient resources'))).toBe(true);
    // Wrapped by a caller, still found.
    expect(isOutboxFullError(new Error('put failed', { cause: api(10077, 'x') }))).toBe(true);
    // The words alone, or another code, are not a full outbox.
    expect(isOutboxFullError(new Error('maximum bytes exceeded'))).toBe(false);
    expect(isOutboxFullError(api(10059, 'stream not found'))).toBe(false);
    expect(isOutboxFullError(new Error('TIMEOUT'))).toBe(false);
  });

  it('treats a purge of a message that is not there as done', () => {
    const api = (err_code: number, description: string): JetStreamApiError =>
      new JetStreamApiError({ code: 404, err_code, description });
    expect(isMessageGone(api(10057, 'stream store EOF'))).toBe(true);
    expect(isMessageGone(api(10037, 'no message found'))).toBe(true);
    expect(isMessageGone(new Error('no message found'))).toBe(false);
  });
});

describe('what a receipt may purge', () => {
  const subject = eventSubject('site-1', 'dev-1', 'cam-1');

  it('purges the receipted event and its evidence', () => {
    const stored = { subject, data: eventBytes('e-1', ['k/entry.jpg', 'k/clip.webm']) };
    expect(purgeTarget(receipt({}), stored, ME)).toEqual({
      kind: 'message',
      seq: 7,
      evidenceKeys: ['k/entry.jpg', 'k/clip.webm'],
    });
  });

  it('purges nothing when the outbox message is another event, another device’s, or gone', () => {
    expect(purgeTarget(receipt({}), { subject, data: eventBytes('e-2', ['x']) }, ME).kind).toBe('none');
    const other = { subject: eventSubject('site-1', 'dev-2', 'cam-1'), data: eventBytes('e-1', []) };
    expect(purgeTarget(receipt({}), other, ME).kind).toBe('none');
    expect(purgeTarget(receipt({}), undefined, ME)).toEqual({ kind: 'none', why: 'already purged' });
    expect(purgeTarget(receipt({ sourceSequence: 0 }), { subject, data: eventBytes('e-1', []) }, ME).kind).toBe('none');
  });

  it('purges a tally, and a quarantined message whatever it holds', () => {
    const tally = { subject: tallySubject('site-1', 'dev-1', 'cam-1'), data: new Uint8Array([1, 2]) };
    expect(purgeTarget(receipt({ kind: ReceiptKind.RECEIPT_KIND_TALLY, eventId: '' }), tally, ME)).toEqual({
      kind: 'message',
      seq: 7,
      evidenceKeys: [],
    });
    const garbage = { subject, data: new Uint8Array([0xff, 0x00, 0x13]) };
    const quarantined = receipt({ outcome: ReceiptOutcome.RECEIPT_OUTCOME_QUARANTINED, eventId: '' });
    expect(purgeTarget(quarantined, garbage, ME)).toEqual({ kind: 'message', seq: 7, evidenceKeys: [] });
  });

  it('never purges a message it was not told about (property)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.integer({ min: 1, max: 1e6 }), (receipted, held, seq) => {
        const target = purgeTarget(
          receipt({ eventId: receipted, sourceSequence: seq }),
          { subject, data: eventBytes(held, ['a']) },
          ME,
        );
        expect(target.kind === 'message').toBe(receipted === held);
        if (target.kind === 'message') expect(target.seq).toBe(seq);
      }),
    );
  });
});

describe("the core's receipt key on the device", () => {
  it('loads an Ed25519 public key and names outbox.coreKeyFile when it cannot', async () => {
    await using dir = await tempDir();
    const good = join(dir.path, 'core.pem');
    const core = generateKeyPairSync('ed25519').publicKey;
    await writeFile(good, core.export({ type: 'spki', format: 'pem' }));
    expect((await loadCoreKey(good)).keyId).toBe(keyIdOf(core));
    const rsa = join(dir.path, 'rsa.pem');
    await writeFile(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    await expect(loadCoreKey(rsa)).rejects.toMatchObject({
      code: 'EDGE_CONFIG_INVALID',
      message: expect.stringMatching(/^outbox\.coreKeyFile: .*rsa\.pem: key type is rsa, not ed25519/),
    });
    await expect(loadCoreKey(join(dir.path, 'missing.pem'))).rejects.toMatchObject({
      code: 'EDGE_CONFIG_INVALID',
      message: expect.stringMatching(/^outbox\.coreKeyFile: .*missing\.pem: .*no such file/i),
    });
  });
});
