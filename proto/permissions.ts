import {
  EDGE_STREAM,
  EVIDENCE_BUCKET,
  EVIDENCE_STREAM,
  INFRACTIONS_STREAM,
  RECEIPTS_STREAM,
  signalSubject,
} from './subjects.js';

/**
 * NATS identities and what each may do, as nats-server's `permissions` block takes them.
 *
 * Nobody is anonymous. Stream and consumer creation, update and deletion, and stream purges,
 * belong to the `setup` identity only (`zebra nats setup`), which no running process holds.
 * Running processes get the least their job needs:
 * - the core (hub): consume INFRACTIONS through its durable, publish receipts, copy evidence
 *   into the hub's store and purge expired evidence there, read sites' outboxes across the
 *   leaf link (refetch, evidence copies);
 * - an edge device: publish its own events and tallies, add evidence objects, take its own
 *   receipts, and drop from the outbox what a receipt covers;
 * - a signal controller (or the bridge that reads it): publish its own signal subject only.
 */
export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/**
 * The reply subjects of `user`'s requests and consumers (nats.js `inboxPrefix`). Each user may
 * subscribe to its own only: with `_INBOX.>` one client could read the replies another asked
 * for (evidence and events the core reads across a leaf link pass through the site's server).
 */
export function natsInboxPrefix(user: string): string {
  return `_INBOX_${user}`;
}

/** The setup identity's user name on every server (it has no permissions block: it may do anything). */
export const NATS_SETUP_USER = 'setup';

/** The core's user name on the hub. */
export const NATS_CORE_USER = 'core';

const OBJ_DATA = [`$O.${EVIDENCE_BUCKET}.C.>`, `$O.${EVIDENCE_BUCKET}.M.>`];

/** Adding objects to the evidence store (nats.js ObjectStore put looks up an object's metadata first). */
function evidenceStoreWrite(api: string): string[] {
  return [
    `${api}.INFO`,
    `${api}.STREAM.INFO.${EVIDENCE_STREAM}`,
    `${api}.STREAM.NAMES`,
    `${api}.STREAM.MSG.GET.${EVIDENCE_STREAM}`,
    `${api}.DIRECT.GET.${EVIDENCE_STREAM}`,
    `${api}.DIRECT.GET.${EVIDENCE_STREAM}.>`,
  ];
}

/** Reading whole objects too (an ordered consumer over the object's chunks). */
function evidenceStoreAccess(api: string): string[] {
  return [
    ...evidenceStoreWrite(api),
    `${api}.CONSUMER.CREATE.${EVIDENCE_STREAM}`,
    `${api}.CONSUMER.CREATE.${EVIDENCE_STREAM}.>`,
    `${api}.CONSUMER.DELETE.${EVIDENCE_STREAM}.>`,
    `${api}.CONSUMER.INFO.${EVIDENCE_STREAM}.>`,
    `${api}.CONSUMER.MSG.NEXT.${EVIDENCE_STREAM}.>`,
  ];
}

/**
 * Acks on one durable only: an ack names the stream sequence it settles, so `$JS.ACK.>` would
 * let one identity settle another's messages (a device acking the core's ingest of an event).
 */
const acksOn = (stream: string, durable: string): string[] => [
  `$JS.ACK.${stream}.${durable}.>`,
  // The reply format with a domain and account hash, which newer servers may use.
  `$JS.ACK.*.*.${stream}.${durable}.>`,
];

/**
 * An edge device connected straight to the hub (no site leaf node): its own events and
 * tallies, evidence objects, and the replies to its own requests.
 */
export function devicePermissions(siteId: string, deviceId: string): NatsPermissions {
  return {
    publish: {
      allow: [
        `zebra.v1.events.${siteId}.${deviceId}.>`,
        `zebra.v1.tallies.${siteId}.${deviceId}.>`,
        ...OBJ_DATA,
        ...evidenceStoreWrite('$JS.API'),
      ],
    },
    // Its own replies, and its site's signal reports (signed by the controller: SignedSignalReport).
    subscribe: { allow: [`${natsInboxPrefix(deviceId)}.>`, `zebra.v1.signal.${siteId}.*`] },
  };
}

/**
 * An edge device on its site's leaf node: what {@link devicePermissions} allows, plus its
 * own receipts (its durable on the site's RECEIPTS stream), the site's signal subjects, and
 * deleting from the outbox what a receipt covers (message delete on EDGE, purges of the
 * evidence store's subjects). It cannot create, change or delete a stream or consumer.
 */
export function siteDevicePermissions(siteId: string, deviceId: string): NatsPermissions {
  const durable = receiptsDurable(deviceId);
  const base = devicePermissions(siteId, deviceId);
  return {
    publish: {
      allow: [
        ...base.publish.allow,
        `$JS.API.STREAM.INFO.${EDGE_STREAM}`,
        `$JS.API.STREAM.MSG.GET.${EDGE_STREAM}`,
        `$JS.API.STREAM.MSG.DELETE.${EDGE_STREAM}`,
        `$JS.API.STREAM.PURGE.${EVIDENCE_STREAM}`,
        `$JS.API.STREAM.INFO.${RECEIPTS_STREAM}`,
        `$JS.API.CONSUMER.INFO.${RECEIPTS_STREAM}.${durable}`,
        `$JS.API.CONSUMER.MSG.NEXT.${RECEIPTS_STREAM}.${durable}`,
        ...acksOn(RECEIPTS_STREAM, durable),
      ],
    },
    subscribe: base.subscribe,
  };
}

/** The durable consumer a device takes its receipts from, on its site's RECEIPTS stream. */
export function receiptsDurable(deviceId: string): string {
  return `receipts-${deviceId}`;
}

/** A signal controller, or the bridge that reads it: its own signal subject, nothing else. */
export function controllerPermissions(siteId: string, controllerId: string): NatsPermissions {
  return { publish: { allow: [signalSubject(siteId, controllerId)] }, subscribe: { allow: [] } };
}

/**
 * The core on the hub: its ingest durable on INFRACTIONS, receipts, the hub's evidence store
 * (add copies; purge expired objects), putting refetched events back on INFRACTIONS, and
 * read-only access to sites' outboxes and evidence across the leaf link (`$JS.<site>.API`).
 */
export function corePermissions(ingestDurable: string): NatsPermissions {
  const site = '$JS.*.API';
  return {
    publish: {
      allow: [
        'zebra.v1.receipts.>',
        'zebra.v1.events.>',
        ...OBJ_DATA,
        ...evidenceStoreAccess('$JS.API'),
        `$JS.API.STREAM.PURGE.${EVIDENCE_STREAM}`,
        `$JS.API.STREAM.INFO.${INFRACTIONS_STREAM}`,
        `$JS.API.STREAM.INFO.${RECEIPTS_STREAM}`,
        `$JS.API.CONSUMER.INFO.${INFRACTIONS_STREAM}.${ingestDurable}`,
        `$JS.API.CONSUMER.MSG.NEXT.${INFRACTIONS_STREAM}.${ingestDurable}`,
        ...evidenceStoreAccess(site),
        `${site}.STREAM.INFO.${EDGE_STREAM}`,
        `${site}.CONSUMER.CREATE.${EDGE_STREAM}`,
        `${site}.CONSUMER.CREATE.${EDGE_STREAM}.>`,
        `${site}.CONSUMER.INFO.${EDGE_STREAM}.>`,
        `${site}.CONSUMER.MSG.NEXT.${EDGE_STREAM}.>`,
        `${site}.CONSUMER.DELETE.${EDGE_STREAM}.>`,
        ...acksOn(INFRACTIONS_STREAM, ingestDurable),
        // Flow control of the ordered consumers that read evidence objects and site outboxes.
        '$JS.FC.>',
      ],
    },
    subscribe: { allow: [`${natsInboxPrefix(NATS_CORE_USER)}.>`] },
  };
}

/** One user in a nats-server `authorization` block. */
export interface NatsUser {
  readonly user: string;
  /** The secret; or, with `passwordEnv`, unused (the config names the environment variable). */
  readonly password: string;
  /** Deployment files: nats-server reads the secret from this environment variable. */
  readonly passwordEnv?: string;
  /** Undefined: everything. Only the setup identity goes without. */
  readonly permissions?: NatsPermissions;
}

const list = (items: readonly string[]): string => `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;

/** The `authorization { users = [...] }` block of a nats-server config file. */
export function renderNatsAuthorization(users: readonly NatsUser[]): string {
  if (users.length === 0) throw new Error('a nats-server needs at least one user: anonymous access is never allowed');
  const lines = users.map((u) => {
    const rule = (allow: readonly string[]): string =>
      // An empty allow list would read as "no restriction": deny everything instead.
      allow.length > 0 ? `{ allow: ${list(allow)} }` : `{ deny: [">"] }`;
    const perms = u.permissions
      ? `, permissions: { publish: ${rule(u.permissions.publish.allow)}, subscribe: ${rule(u.permissions.subscribe.allow)} }`
      : '';
    const password = u.passwordEnv ? `$${u.passwordEnv}` : JSON.stringify(u.password);
    return `    { user: ${JSON.stringify(u.user)}, password: ${password}${perms} }`;
  });
  return `authorization {\n  timeout: 5\n  users = [\n${lines.join('\n')}\n  ]\n}\n`;
}
