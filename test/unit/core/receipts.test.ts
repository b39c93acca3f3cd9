import fc from 'fast-check';
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { quarantineReceipt, sourceSequence, subjectParts } from '../../../core/ingest/receipts.js';
import { SITE_SEQUENCE_HEADER } from '../../../core/ingest/site-fetch.js';
import { ReceiptOutcome, evidenceMetaSubject, objectStoreDigest } from '../../../proto/index.js';
import { checkDelivery } from '../../harness/delivery.js';

const withHeader = (name: string, value: string) => {
  const h = headers();
  h.set(name, value);
  return { headers: h };
};

describe('receipts', () => {
  it('reads the site outbox sequence from a sourced message, in 2.9 and later formats', () => {
    expect(sourceSequence(withHeader('Nats-Stream-Source', 'EDGE:E6ZE5hpT 17'))).toBe(17);
    expect(sourceSequence(withHeader('Nats-Stream-Source', 'EDGE 17 zebra.v1.*.s.> > zebra.v1.events.s.d.c'))).toBe(17);
    expect(sourceSequence(withHeader(SITE_SEQUENCE_HEADER, '9'))).toBe(9);
    expect(sourceSequence({ headers: undefined })).toBe(0);
    expect(sourceSequence(withHeader('Nats-Stream-Source', 'EDGE:x nonsense'))).toBe(0);
  });

  it('names the device of an event or tally subject, and nothing else', () => {
    expect(subjectParts('zebra.v1.events.site-1.dev-1.cam-1')).toEqual({
      siteId: 'site-1',
      deviceId: 'dev-1',
      cameraId: 'cam-1',
    });
    expect(subjectParts('zebra.v1.tallies.site-1.dev-1.cam-1')?.deviceId).toBe('dev-1');
    expect(subjectParts('zebra.v1.receipts.site-1.dev-1')).toBeUndefined();
    expect(subjectParts('zebra.v1.events.site-1.dev-1')).toBeUndefined();
    expect(subjectParts('other.v1.events.a.b.c')).toBeUndefined();
  });

  it('receipts a quarantined message to the device its subject names', () => {
    const r = quarantineReceipt(
      { subject: 'zebra.v1.events.site-1.dev-1.cam-1', ...withHeader('Nats-Stream-Source', 'EDGE:h 5') },
      1,
    );
    expect(r).toMatchObject({
      deviceId: 'dev-1',
      outcome: ReceiptOutcome.RECEIPT_OUTCOME_QUARANTINED,
      sourceSequence: 5,
    });
    expect(quarantineReceipt({ subject: 'junk', headers: undefined }, 1)).toBeUndefined();
  });

  it('writes object store names and digests the way nats.js does', () => {
    // nats.js: `$O.<bucket>.M.` + padded base64url of the name; `SHA-256=` + padded base64url of the digest.
    expect(evidenceMetaSubject('site-1/cam-1/e/entry.jpg')).toBe(
      '$O.zebra-evidence.M.c2l0ZS0xL2NhbS0xL2UvZW50cnkuanBn',
    );
    expect(evidenceMetaSubject('a?')).toBe('$O.zebra-evidence.M.YT8=');
    expect(objectStoreDigest('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(
      'SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=',
    );
  });
});

describe('the delivery checker', () => {
  it('accounts for every id exactly once (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uuid()), fc.array(fc.uuid()), (produced, extra) => {
        const committed = [
          ...produced.filter((_, i) => i % 3 !== 0),
          ...extra,
          ...produced.filter((_, i) => i % 5 === 1),
        ];
        const report = checkDelivery(produced, committed);
        const committedSet = new Set(committed);
        expect(report.lost).toEqual(produced.filter((id) => !committedSet.has(id)));
        expect(new Set(report.unexpected)).toEqual(new Set(committed.filter((id) => !produced.includes(id))));
        expect(report.duplicates.length).toBe(committed.length - committedSet.size);
      }),
    );
  });

  it('is clean only when the two sides hold the same ids once each', () => {
    expect(checkDelivery(['a', 'b'], ['b', 'a'])).toEqual({ lost: [], duplicates: [], unexpected: [] });
    expect(checkDelivery(['a', 'b'], ['a', 'a', 'c'])).toEqual({ lost: ['b'], duplicates: ['a'], unexpected: ['c'] });
  });
});
