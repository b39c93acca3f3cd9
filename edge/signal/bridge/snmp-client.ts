import snmp from 'net-snmp';
import type { Session } from 'net-snmp';
import { errorMessage } from '../../errors.js';
import type { BridgeConfig } from './config.js';
import { readSecret } from './config.js';
import type { Varbind } from './decode.js';

/** The answer to one GetRequest, or why there is none. */
export type GetResult =
  | { readonly ok: true; readonly varbinds: readonly Varbind[] }
  | { readonly ok: false; readonly fault: 'no_answer' | 'snmp_error'; readonly detail: string };

/** SNMP credentials with their secrets read. */
export type SnmpCredentials =
  | { readonly version: 'v2c'; readonly community: string }
  | {
      readonly version: 'v3';
      readonly user: string;
      readonly authProtocol: 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
      readonly authKey: string;
      readonly privProtocol: 'aes' | 'aes256b' | 'aes256r';
      readonly privKey: string;
    };

/** Reads the secrets the config names (community, or v3 passphrases of at least 8 characters, RFC 3414). */
export async function readCredentials(snmpConfig: BridgeConfig['controller']['snmp']): Promise<SnmpCredentials> {
  if (snmpConfig.version === 'v2c')
    return { version: 'v2c', community: await readSecret(snmpConfig.communityFile, 'controller.snmp.communityFile') };
  return {
    version: 'v3',
    user: snmpConfig.user,
    authProtocol: snmpConfig.authProtocol,
    authKey: await readSecret(snmpConfig.authKeyFile, 'controller.snmp.authKeyFile', 8),
    privProtocol: snmpConfig.privProtocol,
    privKey: await readSecret(snmpConfig.privKeyFile, 'controller.snmp.privKeyFile', 8),
  };
}

/** The net-snmp USM user for v3 credentials (authPriv always). */
export function usmUser(c: Extract<SnmpCredentials, { version: 'v3' }>): snmp.User {
  return {
    name: c.user,
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols[c.authProtocol],
    authKey: c.authKey,
    privProtocol: snmp.PrivProtocols[c.privProtocol],
    privKey: c.privKey,
  };
}

/** An SNMP manager session with one controller; never retries (the next poll is the retry). */
export class SnmpClient {
  readonly #session: Session;
  readonly #version: SnmpCredentials['version'];
  /** True once the controller answered an (authenticated) request on this session. */
  #answered = false;

  constructor(host: string, port: number, credentials: SnmpCredentials, timeoutMs: number) {
    this.#version = credentials.version;
    const options = { port, retries: 0, timeout: timeoutMs, transport: 'udp4' as const };
    this.#session =
      credentials.version === 'v2c'
        ? snmp.createSession(host, credentials.community, { ...options, version: snmp.Version2c })
        : snmp.createV3Session(host, usmUser(credentials), { ...options, version: snmp.Version3 });
    // A socket error is reported through the next request; never let it crash the process.
    this.#session.on('error', () => undefined);
  }

  /** GET `oids`; resolves, never rejects. */
  get(oids: readonly string[]): Promise<GetResult> {
    return new Promise((resolve) => {
      try {
        this.#session.get([...oids], (error, varbinds) => {
          if (error) {
            resolve(this.#failure(error));
            return;
          }
          this.#answered = true;
          resolve({
            ok: true,
            varbinds: (varbinds ?? []).map((v) => ({ oid: v.oid, type: Number(v.type), value: v.value })),
          });
        });
      } catch (err) {
        resolve({ ok: false, fault: 'snmp_error', detail: errorMessage(err) });
      }
    });
  }

  /**
   * A timeout on a v3 session whose engine discovery was answered but whose authenticated
   * requests never were is a credential problem: RFC 3414 agents may drop a message whose
   * digest or encryption is wrong without a report, which would otherwise look like silence.
   */
  #failure(error: Error): GetResult {
    if (error.name !== 'RequestTimedOutError') return { ok: false, fault: 'snmp_error', detail: errorMessage(error) };
    const engine = (this.#session as unknown as { msgSecurityParameters?: { msgAuthoritativeEngineID?: Buffer } })
      .msgSecurityParameters?.msgAuthoritativeEngineID;
    if (this.#version === 'v3' && !this.#answered && engine && engine.length > 0)
      return {
        ok: false,
        fault: 'snmp_error',
        detail:
          `SNMPv3 authentication refused: the controller answered engine discovery (engine ${engine.toString('hex')}) ` +
          'but never an authenticated request; check controller.snmp.user, authProtocol, authKeyFile, privProtocol and privKeyFile',
      };
    return { ok: false, fault: 'no_answer', detail: errorMessage(error) };
  }

  close(): void {
    try {
      this.#session.close();
    } catch {
      // already closed
    }
  }
}
