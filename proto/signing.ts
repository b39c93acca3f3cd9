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
