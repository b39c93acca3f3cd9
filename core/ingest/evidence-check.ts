import type { ObjectStore } from '@nats-io/obj';
import { objectStoreDigest } from '../../proto/index.js';
import type { InfractionEvent } from '../../proto/index.js';

export type EvidenceCheck =
  | { readonly ok: true }
  /** Not at the hub yet (still being sourced from the site): try again later. */
  | { readonly ok: false; readonly kind: 'missing'; readonly objectKeys: readonly string[] }
  /** At the hub but not what the device signed. */
  | { readonly ok: false; readonly kind: 'mismatch'; readonly objectKeys: readonly string[] };

/**
 * Checks that every evidence object the signed event names is in the hub's store with the
 * SHA-256 the device signed. Reads only the objects' metadata.
 */
export async function checkEvidenceAtHub(store: ObjectStore, event: InfractionEvent): Promise<EvidenceCheck> {
  const infos = await Promise.all(event.evidence.map((ref) => store.info(ref.objectKey)));
  const missing: string[] = [];
  const mismatched: string[] = [];
  event.evidence.forEach((ref, i) => {
    const info = infos[i];
    if (!info || info.deleted) missing.push(ref.objectKey);
    else if (info.digest !== objectStoreDigest(ref.sha256Hex) || info.size !== ref.sizeBytes)
      mismatched.push(ref.objectKey);
  });
  if (mismatched.length > 0) return { ok: false, kind: 'mismatch', objectKeys: mismatched };
  if (missing.length > 0) return { ok: false, kind: 'missing', objectKeys: missing };
  return { ok: true };
}
