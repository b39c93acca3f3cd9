import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreErrorCode } from '../../../core/errors.js';
import { decodePageToken, encodePageToken } from '../../../core/api/event-queries.js';

describe('page tokens', () => {
  it('property: round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), fc.uuid(), (occurredAtMs, eventId) => {
        expect(decodePageToken(encodePageToken({ occurredAtMs, eventId }))).toEqual({ occurredAtMs, eventId });
      }),
    );
  });

  it.each(['', 'garbage', Buffer.from('12:not-a-uuid').toString('base64url')])('rejects %j', (token) => {
    expect(() => decodePageToken(token)).toThrow(expect.objectContaining({ code: CoreErrorCode.INVALID_ARGUMENT }));
  });
});
