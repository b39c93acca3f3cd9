import { CandidateTally, InfractionEvent } from './gen/zebra/v1/event.js';

/**
 * The bytes a device signs: the event encoded with its `signature` field unset.
 * ts-proto writes fields in field-number order, so the encoding is stable for one schema version.
 */
export function eventSigningBytes(event: InfractionEvent): Uint8Array {
  return InfractionEvent.encode({ ...event, signature: undefined }).finish();
}

/** The bytes a device signs for a rejected-candidate tally: the tally without its `signature`. */
export function tallySigningBytes(tally: CandidateTally): Uint8Array {
  return CandidateTally.encode({ ...tally, signature: undefined }).finish();
}

/** The field number of `InfractionEvent.signature`. */
const EVENT_SIGNATURE_FIELD = 17;

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; i < bytes.length && shift < 64; shift += 7, i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

/**
 * The signing bytes of an encoded event, without decoding and re-encoding it: the payload
 * with its top-level `signature` field cut out. For an event a zebra device encoded this is
 * {@link eventSigningBytes} of the decoded event, byte for byte. Undefined when the payload
 * is not well-formed protobuf at the top level.
 */
export function eventSigningBytesFromPayload(payload: Uint8Array): Uint8Array | undefined {
  const kept: Uint8Array[] = [];
  let at = 0;
  while (at < payload.length) {
    const tag = readVarint(payload, at);
    if (!tag) return undefined;
    const field = Math.floor(tag.value / 8);
    const wireType = tag.value & 7;
    let end: number;
    if (wireType === 0) end = readVarint(payload, tag.next)?.next ?? -1;
    else if (wireType === 1) end = tag.next + 8;
    else if (wireType === 5) end = tag.next + 4;
    else if (wireType === 2) {
      const length = readVarint(payload, tag.next);
      end = length ? length.next + length.value : -1;
    } else return undefined;
    if (end < 0 || end > payload.length) return undefined;
    if (field !== EVENT_SIGNATURE_FIELD) kept.push(payload.subarray(at, end));
    at = end;
  }
  return Buffer.concat(kept);
}
