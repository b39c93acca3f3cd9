import { EVIDENCE_BUCKET } from './subjects.js';

/** NATS subject permissions, as nats-server's `permissions` block takes them. */
export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/**
 * What one edge device may do on the hub: publish events and rejected-candidate tallies on
 * its own subjects only, add
 * objects to the evidence store, and read the replies to its own requests. Nothing else: no
 * stream or consumer administration, no purge or delete, no other device's subjects.
 */
export function devicePermissions(siteId: string, deviceId: string): NatsPermissions {
  const objectStream = `OBJ_${EVIDENCE_BUCKET}`;
  return {
    publish: {
      allow: [
        `zebra.v1.events.${siteId}.${deviceId}.>`,
        `zebra.v1.tallies.${siteId}.${deviceId}.>`,
        `$O.${EVIDENCE_BUCKET}.C.>`,
        `$O.${EVIDENCE_BUCKET}.M.>`,
        `$JS.API.INFO`,
        `$JS.API.STREAM.INFO.${objectStream}`,
        `$JS.API.STREAM.MSG.GET.${objectStream}`,
        `$JS.API.DIRECT.GET.${objectStream}.>`,
      ],
    },
    subscribe: { allow: ['_INBOX.>'] },
  };
}

/** One user in a nats-server `authorization` block. */
export interface NatsUser {
  readonly user: string;
  readonly password: string;
  /** Undefined: everything (the core and operators). */
  readonly permissions?: NatsPermissions;
}

/** The `authorization { users = [...] }` block of a nats-server config file. */
export function renderNatsAuthorization(users: readonly NatsUser[]): string {
  const list = (items: readonly string[]): string => `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;
  const lines = users.map((u) => {
    const perms = u.permissions
      ? `, permissions: { publish: { allow: ${list(u.permissions.publish.allow)} }, subscribe: { allow: ${list(u.permissions.subscribe.allow)} } }`
      : '';
    return `    { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}${perms} }`;
  });
  return `authorization {\n  users = [\n${lines.join('\n')}\n  ]\n}\n`;
}
