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
