/**
 * NATS names shared by the edge and the core. Nothing else builds subjects.
 *
 * Subjects: `zebra.v1.events.<site>.<device>.<camera>` (infraction events),
 * `zebra.v1.tallies.<site>.<device>.<camera>` (rejected-candidate counts) and
 * `zebra.v1.signal.<site>.<controller>` (signal controller phase reports, on the site's own
 * NATS). Every id used as a subject token must pass {@link isSubjectToken}.
 */

/** The hub stream that holds every site's infraction events. */
export const INFRACTIONS_STREAM = 'INFRACTIONS';

/** A site's own outbox stream, on the site's leaf node (in the site's JetStream domain). */
export const EDGE_STREAM = 'EDGE';

/** The hub stream of receipts; each site sources its own into a stream of the same name. */
export const RECEIPTS_STREAM = 'RECEIPTS';

/** The hub's JetStream domain, as sites address it. */
export const HUB_DOMAIN = 'hub';

/** Matches every receipt subject. */
export const RECEIPTS_SUBJECT_WILDCARD = 'zebra.v1.receipts.>';

/** Object store bucket for redacted evidence. */
export const EVIDENCE_BUCKET = 'zebra-evidence';

/** Matches every event subject. */
export const EVENTS_SUBJECT_WILDCARD = 'zebra.v1.events.>';

/** Matches every rejected-candidate tally subject. */
export const TALLIES_SUBJECT_WILDCARD = 'zebra.v1.tallies.>';

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `id` can stand as one NATS subject token (no dots, wildcards or spaces). */
export function isSubjectToken(id: string): boolean {
  return SUBJECT_TOKEN.test(id);
}

/** The subject one camera's events are published on. */
export function eventSubject(siteId: string, deviceId: string, cameraId: string): string {
  return `zebra.v1.events.${siteId}.${deviceId}.${cameraId}`;
}

/** The subject one camera's rejected-candidate tallies are published on. */
export function tallySubject(siteId: string, deviceId: string, cameraId: string): string {
  return `zebra.v1.tallies.${siteId}.${deviceId}.${cameraId}`;
}

/** The subject the core publishes one device's receipts on. */
export function receiptSubject(siteId: string, deviceId: string): string {
  return `zebra.v1.receipts.${siteId}.${deviceId}`;
}

/** What a site's outbox stream holds: the site's events and tallies, nothing else. */
export function siteOutboxSubjects(siteId: string): string[] {
  return [`zebra.v1.events.${siteId}.>`, `zebra.v1.tallies.${siteId}.>`];
}

/** The hub's filter on a site's outbox: that site's events and tallies only. */
export function siteSourceFilter(siteId: string): string {
  return `zebra.v1.*.${siteId}.>`;
}

/** The hub's filter on its receipts, for one site. */
export function siteReceiptsFilter(siteId: string): string {
  return `zebra.v1.receipts.${siteId}.>`;
}

/**
 * Subjects a site's leaf node keeps off the link in both directions. The hub's streams listen
 * on them too (for devices connected straight to the hub); a site's messages reach the hub
 * only through sourcing, so nothing is stored twice.
 */
export const LEAF_LOCAL_SUBJECTS: readonly string[] = [
  EVENTS_SUBJECT_WILDCARD,
  TALLIES_SUBJECT_WILDCARD,
  `$O.${EVIDENCE_BUCKET}.>`,
];

/** The object store stream of the evidence bucket. */
export const EVIDENCE_STREAM = `OBJ_${EVIDENCE_BUCKET}`;

/** The chunk subject of one stored object. */
export function evidenceChunkSubject(nuid: string): string {
  return `$O.${EVIDENCE_BUCKET}.C.${nuid}`;
}

/** The metadata subject of one stored object (padded base64url of the name, as nats.js writes it). */
export function evidenceMetaSubject(objectKey: string): string {
  const b64 = Buffer.from(objectKey, 'latin1').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return `$O.${EVIDENCE_BUCKET}.M.${b64}`;
}

/** The object store digest of bytes whose SHA-256 is `sha256Hex`, as nats.js records it. */
export function objectStoreDigest(sha256Hex: string): string {
  const b64 = Buffer.from(sha256Hex, 'hex').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return `SHA-256=${b64}`;
}

/** The subject a signal controller publishes its phase reports on. */
export function signalSubject(siteId: string, controllerId: string): string {
  return `zebra.v1.signal.${siteId}.${controllerId}`;
}

/** The object store key of one evidence object. */
export function evidenceObjectKey(siteId: string, cameraId: string, eventId: string, fileName: string): string {
  return `${siteId}/${cameraId}/${eventId}/${fileName}`;
}

/** The infraction kind of the entry rule: a person entered the crosswalk on steady DON'T WALK. */
export const ENTRY_INFRACTION_KIND = 'entered_on_steady_dont_walk';
