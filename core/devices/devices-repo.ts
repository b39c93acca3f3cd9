import { createHash, createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { eventSigningBytes } from '../../proto/index.js';
import type { DeviceSignature, InfractionEvent } from '../../proto/index.js';
import type { Queryable } from '../db/database.js';
import { CoreError, CoreErrorCode, errorMessage } from '../errors.js';
import type { SignatureVerifier } from './signature-verifier.js';

export interface DeviceRecord {
  readonly deviceId: string;
  readonly siteId: string;
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly registeredAtMs: number;
  readonly registeredBy: string;
  /** 0 while not revoked; a revoked device's messages are refused as `revoked_device`. */
  readonly revokedAtMs: number;
}

const DEVICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** First 16 hex digits of the SHA-256 of the SPKI DER: the id devices put in their signatures. */
export function deviceKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function parsePublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `public_key_pem is not a PEM public key: ${errorMessage(err)}`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `public_key_pem is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

/** Registers a device or replaces its key; returns the stored record. */
export async function registerDevice(
  tx: Queryable,
  device: { deviceId: string; siteId: string; publicKeyPem: string },
  by: string,
  nowMs: number,
): Promise<DeviceRecord> {
  for (const [name, value] of [
    ['device_id', device.deviceId],
    ['site_id', device.siteId],
  ] as const) {
    if (!DEVICE_ID.test(value))
      throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, `${name} must be 1-64 characters of A-Z a-z 0-9 _ -`);
  }
  const publicKey = parsePublicKey(device.publicKeyPem);
  const keyId = deviceKeyId(publicKey);
  await tx.query(
    `INSERT INTO devices (device_id, site_id, key_id, public_key, registered_at, registered_by)
     VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000), $6)
     ON CONFLICT (device_id) DO UPDATE SET site_id = excluded.site_id, key_id = excluded.key_id,
       public_key = excluded.public_key, registered_at = excluded.registered_at, registered_by = excluded.registered_by,
       revoked_at = NULL`,
    [device.deviceId, device.siteId, keyId, publicKey.export({ type: 'spki', format: 'der' }), nowMs, by],
  );
  return {
    deviceId: device.deviceId,
    siteId: device.siteId,
    keyId,
    publicKey,
    registeredAtMs: nowMs,
    registeredBy: by,
    revokedAtMs: 0,
  };
}

interface DeviceRow {
  device_id: string;
  site_id: string;
  key_id: string;
  public_key: Uint8Array;
  registered_at_ms: number;
  registered_by: string;
  revoked_at_ms: number | null;
}

const COLUMNS = `device_id, site_id, key_id, public_key, (extract(epoch FROM registered_at) * 1000)::float8 AS registered_at_ms, registered_by,
  (extract(epoch FROM revoked_at) * 1000)::float8 AS revoked_at_ms`;

function toDevice(row: DeviceRow): DeviceRecord {
  return {
    deviceId: row.device_id,
    siteId: row.site_id,
    keyId: row.key_id,
    publicKey: createPublicKey({ key: Buffer.from(row.public_key), format: 'der', type: 'spki' }),
    registeredAtMs: Math.round(Number(row.registered_at_ms)),
    registeredBy: row.registered_by,
    revokedAtMs: row.revoked_at_ms === null ? 0 : Math.round(Number(row.revoked_at_ms)),
  };
}

export async function findDevice(db: Queryable, deviceId: string): Promise<DeviceRecord | undefined> {
  const { rows } = await db.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE device_id = $1`, [deviceId]);
  return rows[0] ? toDevice(rows[0]) : undefined;
}

/** The registered devices among `deviceIds`, by id. */
export async function findDevices(db: Queryable, deviceIds: readonly string[]): Promise<Map<string, DeviceRecord>> {
  const { rows } = await db.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE device_id = ANY($1::text[])`, [
    [...deviceIds],
  ]);
  return new Map(rows.map((r) => [r.device_id, toDevice(r)]));
}

export async function listDevices(db: Queryable): Promise<DeviceRecord[]> {
  const { rows } = await db.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices ORDER BY device_id`);
  return rows.map(toDevice);
}

/**
 * Marks a device revoked (keeping the first revocation time); undefined when there is no such
 * device. Callers drop it from the {@link DeviceKeyCache}.
 */
export async function revokeDevice(tx: Queryable, deviceId: string, nowMs: number): Promise<DeviceRecord | undefined> {
  const { rows } = await tx.query<DeviceRow>(
    `UPDATE devices SET revoked_at = coalesce(revoked_at, to_timestamp($2::float8 / 1000)) WHERE device_id = $1
     RETURNING ${COLUMNS}`,
    [deviceId, nowMs],
  );
  return rows[0] ? toDevice(rows[0]) : undefined;
}

export type SignatureRefusal = 'unknown_device' | 'revoked_device' | 'site_mismatch' | 'unknown_key' | 'bad_signature';

/** Checks an event against its device's registered key. Pure apart from the key passed in. */
export function checkEventSignature(event: InfractionEvent, device: DeviceRecord | undefined): SignatureCheck {
  return checkDeviceSignature(event, eventSigningBytes(event), device);
}

type SignatureCheck = { ok: true; keyId: string } | { ok: false; code: SignatureRefusal; reason: string };

/** Everything about a device-signed message but the signature arithmetic. Pure. */
function refusalBeforeVerify(
  message: { readonly deviceId: string; readonly siteId: string; readonly signature?: DeviceSignature | undefined },
  device: DeviceRecord | undefined,
): Extract<SignatureCheck, { ok: false }> | undefined {
  if (!device) return { ok: false, code: 'unknown_device', reason: `device ${message.deviceId} is not registered` };
  if (device.revokedAtMs > 0) {
    const at = new Date(device.revokedAtMs).toISOString();
    return { ok: false, code: 'revoked_device', reason: `device ${message.deviceId} was revoked at ${at}` };
  }
  if (device.siteId !== message.siteId) {
    return {
      ok: false,
      code: 'site_mismatch',
      reason: `device ${message.deviceId} is registered at site ${device.siteId}, not ${message.siteId}`,
    };
  }
  const signature = message.signature;
  if (!signature) return { ok: false, code: 'bad_signature', reason: 'the message carries no signature' };
  if (signature.keyId !== device.keyId) {
    return {
      ok: false,
      code: 'unknown_key',
      reason: `signed with key ${signature.keyId}; device ${message.deviceId} is registered with key ${device.keyId}`,
    };
  }
  return undefined;
}

const badSignature = (device: DeviceRecord): SignatureCheck => ({
  ok: false,
  code: 'bad_signature',
  reason: `the signature does not verify against key ${device.keyId}`,
});

/**
 * Checks a device-signed message (an event or a tally): the device is registered at the
 * site the message names, signed with its registered key, and the signature verifies.
 */
export function checkDeviceSignature(
  message: { readonly deviceId: string; readonly siteId: string; readonly signature?: DeviceSignature | undefined },
  signingBytes: Uint8Array,
  device: DeviceRecord | undefined,
): SignatureCheck {
  const refusal = refusalBeforeVerify(message, device);
  if (refusal || !device) return refusal!;
  const isValid = (() => {
    try {
      return verify(null, signingBytes, device.publicKey, message.signature!.signature);
    } catch {
      return false;
    }
  })();
  return isValid ? { ok: true, keyId: device.keyId } : badSignature(device);
}

const spkiDers = new WeakMap<KeyObject, Uint8Array>();

function spkiDerOf(publicKey: KeyObject): Uint8Array {
  let der = spkiDers.get(publicKey);
  if (!der) {
    der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
    spkiDers.set(publicKey, der);
  }
  return der;
}

/**
 * {@link checkEventSignature} on the received `payload`, with the Ed25519 arithmetic on the
 * verifier's own thread instead of the event loop, so ingest verifies one batch while it
 * stores the previous one.
 */
export async function checkEventSignatureAsync(
  event: InfractionEvent,
  device: DeviceRecord | undefined,
  payload: Uint8Array,
  verifier: SignatureVerifier,
): Promise<SignatureCheck> {
  const refusal = refusalBeforeVerify(event, device);
  if (refusal || !device) return refusal!;
  const signature = event.signature!.signature;
  const verified = await verifier.verify({
    keyId: device.keyId,
    spkiDer: spkiDerOf(device.publicKey),
    signature,
    payload,
  });
  return verified ? { ok: true, keyId: device.keyId } : badSignature(device);
}

/**
 * Registered devices for ingest, cached: a hit is trusted for `ttlMs`, a miss is asked again
 * after `missTtlMs` (so a device registered just now is seen within seconds).
 */
export class DeviceKeyCache {
  readonly #db: Queryable;
  readonly #entries = new Map<string, { device: DeviceRecord | undefined; untilMs: number }>();
  readonly #lookups = new Map<string, Promise<DeviceRecord | undefined>>();

  constructor(
    db: Queryable,
    private readonly ttlMs = 30_000,
    private readonly missTtlMs = 2_000,
  ) {
    this.#db = db;
  }

  async get(deviceId: string, nowMs: number): Promise<DeviceRecord | undefined> {
    const hit = this.#entries.get(deviceId);
    if (hit && hit.untilMs > nowMs) return hit.device;
    // A batch asks for the same device many times at once: one lookup serves them all.
    let lookup = this.#lookups.get(deviceId);
    if (!lookup) {
      lookup = findDevice(this.#db, deviceId).finally(() => this.#lookups.delete(deviceId));
      this.#lookups.set(deviceId, lookup);
    }
    const device = await lookup;
    this.#entries.set(deviceId, { device, untilMs: nowMs + (device ? this.ttlMs : this.missTtlMs) });
    return device;
  }

  forget(deviceId: string): void {
    this.#entries.delete(deviceId);
  }
}
