/**
 * Bytes to post to another thread. A byte array that views part of a larger buffer (Node's
 * 8 KiB pool, a NATS read buffer) is copied out first: posting the view would copy the whole
 * buffer behind it.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}
