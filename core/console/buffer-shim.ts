/// <reference lib="dom" />
/**
 * The few Buffer calls the generated codecs make (proto/gen is generated for Node: env=node),
 * for the browser bundle, where there is no Buffer: alloc, from (bytes, or a base64 string) and
 * toString('base64'). esbuild injects it for the free name `Buffer` and for `globalThis.Buffer`.
 */
type Bytes = Uint8Array & { toString(encoding?: string): string };

function bytes(array: Uint8Array): Bytes {
  const out = array as Bytes;
  out.toString = (encoding?: string): string => {
    if (encoding !== 'base64') return new TextDecoder().decode(array);
    let binary = '';
    for (const b of array) binary += String.fromCharCode(b);
    return btoa(binary);
  };
  return out;
}

export const Buffer = {
  alloc: (size: number): Bytes => bytes(new Uint8Array(size)),
  from(value: string | ArrayLike<number> | ArrayBufferLike, encoding?: string): Bytes {
    if (typeof value !== 'string') return bytes(new Uint8Array(value as ArrayLike<number>));
    if (encoding !== 'base64') return bytes(new TextEncoder().encode(value));
    const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
    return bytes(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  },
};
