import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { isSubjectToken } from '../../../proto/index.js';
import { describeIssue, readConfigFile } from '../../config.js';
import { EdgeError, EdgeErrorCode, errorMessage } from '../../errors.js';
import { MAX_PHASE } from './oids.js';

const Id = z.string().refine(isSubjectToken, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
const File = z.string().min(1);
const HostPort = z.string().regex(/^.+:\d{1,5}$/, 'must be host:port');

const V2c = z
  .object({
    version: z.literal('v2c'),
    communityFile: File.describe('File holding the read community string (a secret), relative to this config'),
  })
  .strict();

const V3 = z
  .object({
    version: z.literal('v3'),
    user: z.string().min(1).max(32).describe('The SNMPv3 user (USM security name) the controller knows'),
    authProtocol: z
      .enum(['sha', 'sha224', 'sha256', 'sha384', 'sha512'])
      .default('sha')
      .describe('Authentication protocol (authPriv is required: no MD5, no noAuth)'),
    authKeyFile: File.describe('File holding the authentication passphrase (8+ characters), relative to this config'),
    privProtocol: z.enum(['aes', 'aes256b', 'aes256r']).default('aes').describe('Privacy protocol (no DES)'),
    privKeyFile: File.describe('File holding the privacy passphrase (8+ characters), relative to this config'),
  })
  .strict();

export const BridgeConfigSchema = z
  .object({
    siteId: Id.describe('The intersection: reports go to zebra.v1.signal.<siteId>.<controllerId>'),
    controllerId: Id.describe("The controller's id, as the edge's cameras[].signal.controller.id names it"),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    controller: z
      .object({
        host: z.string().min(1).describe("The controller's IP address or host name"),
        port: z.number().int().min(1).max(65_535).default(161).describe("The controller's SNMP port"),
        snmp: z.discriminatedUnion('version', [V2c, V3]).describe('SNMP version and credentials'),
        timeoutMs: z.number().int().min(10).max(10_000).default(300).describe('A poll not answered this long failed'),
      })
      .strict(),
    pedestrianPhase: z
      .number()
      .int()
      .min(1)
      .max(MAX_PHASE)
      .describe('The NTCIP phase number whose pedestrian signal faces the crosswalk'),
    pollIntervalMs: z.number().int().min(20).max(1000).default(100).describe('How often the controller is polled'),
    publishEveryMs: z
      .number()
      .int()
      .min(50)
      .max(10_000)
      .default(500)
      .describe("Without a change, a report goes out this often (keep it well under the edge's staleAfterMs)"),
    frozenAfterMs: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(1000)
      .describe('A controller whose sysUpTime stands still this long is frozen: nothing is published'),
    traps: z
      .object({
        listen: HostPort.describe(
          "Where to receive the controller's traps (host:port); each one triggers a poll at once",
        ),
      })
      .strict()
      .optional(),
    keyFile: File.describe("The bridge's Ed25519 private key (PKCS#8 PEM): the edge pins its public key"),
    nats: z
      .object({
        servers: z.array(z.string().min(1)).min(1).describe("The site leaf node's NATS URLs"),
        user: z
          .string()
          .min(1)
          .describe("This bridge's NATS user, controller-<controllerId>: may publish only its signal subject"),
        passwordFile: File.describe('File holding that user’s password, relative to this config'),
        caFile: File.describe('The private CA that signed the NATS server’s certificate (TLS is always on)'),
      })
      .strict(),
    http: z
      .object({
        listen: HostPort.describe('Where to serve /healthz and /metrics over HTTPS (host:port)'),
        tls: z.object({ certFile: File, keyFile: File }).strict().describe('Server certificate and key (PEM)'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((c) => c.publishEveryMs >= c.pollIntervalMs, {
    message: 'publishEveryMs must be at least pollIntervalMs',
    path: ['publishEveryMs'],
  });

export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;

/** Parses a bridge config, resolving relative files against `baseDir`. Throws EDGE_CONFIG_INVALID naming the key. */
export function parseBridgeConfig(raw: unknown, baseDir: string, origin: string): BridgeConfig {
  const parsed = BridgeConfigSchema.safeParse(raw);
  if (!parsed.success) throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `${origin}: ${describeIssue(parsed.error)}`);
  const c = parsed.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const snmp =
    c.controller.snmp.version === 'v2c'
      ? { ...c.controller.snmp, communityFile: abs(c.controller.snmp.communityFile) }
      : {
          ...c.controller.snmp,
          authKeyFile: abs(c.controller.snmp.authKeyFile),
          privKeyFile: abs(c.controller.snmp.privKeyFile),
        };
  return Object.freeze({
    ...c,
    controller: { ...c.controller, snmp },
    keyFile: abs(c.keyFile),
    nats: { ...c.nats, passwordFile: abs(c.nats.passwordFile), caFile: abs(c.nats.caFile) },
    http: c.http
      ? { ...c.http, tls: { certFile: abs(c.http.tls.certFile), keyFile: abs(c.http.tls.keyFile) } }
      : undefined,
  });
}

/** Reads a bridge config file (YAML or JSON). */
export async function loadBridgeConfig(path: string): Promise<BridgeConfig> {
  return parseBridgeConfig(await readConfigFile(path), dirname(resolve(path)), path);
}

/** Reads a secret file named by config key `key`: trimmed, non-empty. */
export async function readSecret(path: string, key: string, minLength = 1): Promise<string> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `${key}: cannot read ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (text.length < minLength)
    throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `${key}: ${path} holds fewer than ${minLength} characters`);
  return text;
}
