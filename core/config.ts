import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { CoreError, CoreErrorCode, errorMessage } from './errors.js';

const DAY_MS = 86_400_000;

/** Where the core listens unless its config says otherwise, and where the CLI looks by default. */
export const DEFAULT_GRPC_LISTEN = '127.0.0.1:50051';
export const DEFAULT_HTTP_LISTEN = '127.0.0.1:8080';

const HostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:50051');

/** There is no cleartext listener: a config without certificates says how to make them. */
const TLS_REQUIRED =
  'required: { certFile, keyFile } of the server certificate (paths relative to this config); make them with ' +
  '`zebra pki init --dir pki` and `zebra pki issue core --dir pki --host HOSTNAME`';

/** An absent grpc/http section is parsed as {}, so the error names the missing grpc.tls / http.tls. */
const ABSENT = {} as never;

const TLS_FILES = {
  certFile: z.string().min(1).describe('PEM certificate chain, signed by the deployment CA'),
  keyFile: z.string().min(1).describe('PEM private key of that certificate'),
};
const tlsRequired = { error: (issue: { input: unknown }) => (issue.input === undefined ? TLS_REQUIRED : undefined) };

export const CoreConfigSchema = z
  .object({
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    database: z
      .object({
        url: z
          .string()
          .optional()
          .describe('postgres:// URL; when absent, embedded PGlite is used. ZEBRA_DATABASE_URL overrides'),
        pgliteDir: z.string().min(1).optional().describe('PGlite data folder, relative to this config'),
      })
      .strict()
      .refine((d) => d.url !== undefined || d.pgliteDir !== undefined, 'set database.url or database.pgliteDir'),
    nats: z
      .object({
        servers: z.array(z.string().min(1)).min(1).describe('NATS URLs; ZEBRA_NATS_URL overrides'),
        user: z.string().min(1).default('core').describe("The core's NATS user on the hub (least privilege)"),
        passwordFile: z.string().min(1).describe('File holding that user’s password, relative to this config'),
        caFile: z
          .string()
          .min(1)
          .describe('The private CA that signed the NATS servers’ certificates (TLS is always on)'),
      })
      .strict(),
    grpc: z
      .object({
        listen: HostPort.default(DEFAULT_GRPC_LISTEN),
        tls: z
          .object(
            {
              ...TLS_FILES,
              clientCaFile: z
                .string()
                .min(1)
                .optional()
                .describe('When set, every client must present a certificate signed by this CA (mutual TLS)'),
            },
            tlsRequired,
          )
          .strict(),
      })
      .strict()
      .prefault(ABSENT),
    http: z
      .object({
        listen: HostPort.default(DEFAULT_HTTP_LISTEN),
        tls: z.object(TLS_FILES, tlsRequired).strict(),
      })
      .strict()
      .prefault(ABSENT),
    audit: z
      .object({
        signingKeyFile: z
          .string()
          .min(1)
          .describe('Ed25519 key that signs checkpoints; keep it outside the database. Created on first start'),
        origin: z.string().min(1).default('zebra-audit/v1').describe('Names this log in every checkpoint'),
        checkpointIntervalMs: z
          .number()
          .int()
          .min(1000)
          .default(60_000)
          .describe('How often a checkpoint is signed when the log grew'),
      })
      .strict(),
    auth: z
      .object({
        bootstrapTokenFile: z
          .string()
          .min(1)
          .describe('Where the first admin token is written when the database has no users'),
        tokenTtlMs: z
          .number()
          .int()
          .min(60_000)
          .default(30 * DAY_MS)
          .describe('Default lifetime of issued tokens'),
        cacheMs: z
          .number()
          .int()
          .min(0)
          .max(60_000)
          .default(10_000)
          .describe('How long a verified token is trusted before the database is asked again'),
        enrolmentTtlMs: z
          .number()
          .int()
          .min(60_000)
          .max(30 * DAY_MS)
          .default(DAY_MS)
          .describe('How long a one-time enrolment code from CreateUser or ResetEnrolment stays valid'),
      })
      .strict(),
    review: z
      .object({
        claimLeaseMs: z
          .number()
          .int()
          .min(10_000)
          .default(10 * 60_000),
        minEvidenceViewMs: z
          .number()
          .int()
          .min(0)
          .default(15_000)
          .describe('A decision is refused until the decider has had the evidence open this long'),
        knownAnswerShare: z
          .number()
          .min(0)
          .max(0.5)
          .default(0.05)
          .describe('Share of first-review work that is known-answer items'),
        evidenceLinkTtlMs: z
          .number()
          .int()
          .min(10_000)
          .default(10 * 60_000),
      })
      .strict()
      .prefault({}),
    ledger: z
      .object({
        baselinePoints: z.number().int().min(1).default(12),
        pointsByKind: z
          .record(z.string().min(1), z.number().int().min(1).max(100))
          .default({ entered_on_steady_dont_walk: 2 })
          .describe('Points one approved infraction deducts, per infraction kind'),
        deductionTtlMs: z
          .number()
          .int()
          .min(DAY_MS)
          .default(2 * 365 * DAY_MS)
          .describe('A deduction stops counting after this long'),
        sameAdminWindowMs: z
          .number()
          .int()
          .min(0)
          .default(30 * DAY_MS)
          .describe(
            'A deduction whose two deciders one admin created or enrolled within this long before is flagged for audit',
          ),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        openReviewMaxAgeMs: z
          .number()
          .int()
          .min(60_000)
          .default(90 * DAY_MS)
          .describe('An event still open this long after capture expires and its evidence is purged'),
        evidenceRetentionMs: z
          .number()
          .int()
          .min(60_000)
          .default(180 * DAY_MS)
          .describe('Evidence of a finished review is kept this long after the last decision'),
        sweepIntervalMs: z
          .number()
          .int()
          .min(1_000)
          .default(60 * 60_000)
          .describe('How often a retention sweep runs'),
        itemsPerPass: z
          .number()
          .int()
          .min(1)
          .max(1_000)
          .default(100)
          .describe('Reviews to expire, and events whose evidence to purge, looked up and handled per pass'),
        passPauseMs: z.number().int().min(0).max(60_000).default(100).describe('Pause between two passes of one sweep'),
        maxItemsPerHour: z
          .number()
          .int()
          .min(1)
          .default(20_000)
          .describe(
            'A sweep goes on with pass after pass while passes find full batches, up to this many items an hour (its share: maxItemsPerHour × sweepIntervalMs / 1 h)',
          ),
      })
      .strict()
      .prefault({}),
    health: z
      .object({
        checkIntervalMs: z
          .number()
          .int()
          .min(100)
          .default(15_000)
          .describe('How often the checkpoint lag and the review queue are read for /healthz and the metrics'),
        checkpointSlackMs: z
          .number()
          .int()
          .min(0)
          .default(60_000)
          .describe(
            '/healthz turns red when an audit entry has waited for a checkpoint longer than audit.checkpointIntervalMs plus this',
          ),
        reviewQueueMaxAgeMs: z
          .number()
          .int()
          .min(60_000)
          .default(48 * 60 * 60_000)
          .describe(
            "/healthz turns red when the oldest open review item's capture is older than this (the review SLA)",
          ),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        durableName: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('core-ingest'),
        batchSize: z.number().int().min(1).max(1000).default(256),
        ackWaitMs: z.number().int().min(1000).default(30_000),
        retryDelayMs: z.number().int().min(0).default(2_000),
        duplicateWindowMs: z.number().int().min(1000).default(120_000),
        maxFutureSkewMs: z
          .number()
          .int()
          .min(0)
          .max(DAY_MS)
          .default(5 * 60_000)
          .describe('An event whose times are further ahead of the receive time than this is quarantined'),
        maxEventAgeMs: z
          .number()
          .int()
          .min(60 * 60_000)
          .default(30 * DAY_MS)
          .describe(
            'An event older than this at receipt is quarantined; longer than any site outage the spool must bridge',
          ),
        maxAckPending: z
          .number()
          .int()
          .min(1)
          .default(1_000)
          .describe('Messages the ingest consumer may hold unacknowledged; at this limit ingest reports stalled'),
        stallAfterMs: z
          .number()
          .int()
          .min(1_000)
          .default(60_000)
          .describe('Ingest reports stalled when messages wait and none was settled for this long'),
        monitorIntervalMs: z
          .number()
          .int()
          .min(100)
          .default(5_000)
          .describe('How often the ingest consumer info is read for the stall check and its metrics'),
        junkRowsPerMinute: z
          .number()
          .int()
          .min(0)
          .default(120)
          .describe(
            'Refused messages no registration can cure kept as quarantine rows per minute; the rest are counted',
          ),
        junkPayloadBytes: z
          .number()
          .int()
          .min(0)
          .default(4_096)
          .describe('Bytes of payload kept per such row (its size and SHA-256 are kept whole)'),
      })
      .strict()
      .prefault({}),
    transport: z
      .object({
        sites: z
          .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a site id (letters, digits, - and _)'))
          .default([])
          .describe('Sites with a leaf node (JetStream domain = site id) whose outbox and evidence the hub sources'),
        receiptsMaxAgeMs: z
          .number()
          .int()
          .min(60_000)
          .default(30 * DAY_MS)
          .describe('How long the hub keeps receipts; longer than any promised site outage'),
        evidenceRetryMs: z
          .number()
          .int()
          .min(100)
          .default(2_000)
          .describe('Redelivery delay for an event whose evidence has not reached the hub yet'),
        streamReplicas: z
          .union([z.literal(1), z.literal(3), z.literal(5)], { error: 'must be 1, 3 or 5' })
          .default(1)
          .describe(
            'Copies of the hub streams, evidence store and ingest durable `zebra nats setup hub` makes: ' +
              '1 on one server, 3 (or 5) on a NATS cluster',
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type CoreConfig = z.infer<typeof CoreConfigSchema>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Validates a config object, applies the env overlay and resolves paths. Throws CORE_CONFIG_INVALID naming the key. */
export function parseCoreConfig(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv, origin: string): CoreConfig {
  const parsed = CoreConfigSchema.safeParse(raw);
  if (!parsed.success) {
    // Every problem at once, each naming its key.
    const lines = parsed.error.issues.map(
      (i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`,
    );
    const text = lines.length <= 1 ? (lines[0] ?? 'invalid') : `${lines.length} problems:\n  ${lines.join('\n  ')}`;
    throw new CoreError(CoreErrorCode.CONFIG_INVALID, `${origin}: ${text}`);
  }
  const config = parsed.data;
  const pgliteDir = config.database.pgliteDir;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  return deepFreeze({
    ...config,
    database: {
      url: env.ZEBRA_DATABASE_URL || config.database.url,
      pgliteDir: pgliteDir ? abs(pgliteDir) : undefined,
    },
    grpc: {
      listen: config.grpc.listen,
      tls: {
        certFile: abs(config.grpc.tls.certFile),
        keyFile: abs(config.grpc.tls.keyFile),
        clientCaFile: config.grpc.tls.clientCaFile ? abs(config.grpc.tls.clientCaFile) : undefined,
      },
    },
    http: {
      listen: config.http.listen,
      tls: { certFile: abs(config.http.tls.certFile), keyFile: abs(config.http.tls.keyFile) },
    },
    audit: { ...config.audit, signingKeyFile: abs(config.audit.signingKeyFile) },
    auth: { ...config.auth, bootstrapTokenFile: abs(config.auth.bootstrapTokenFile) },
    nats: {
      ...config.nats,
      servers: env.ZEBRA_NATS_URL ? env.ZEBRA_NATS_URL.split(',') : config.nats.servers,
      passwordFile: abs(config.nats.passwordFile),
      caFile: abs(config.nats.caFile),
    },
  });
}

export async function loadCoreConfig(path: string, env: NodeJS.ProcessEnv): Promise<CoreConfig> {
  let raw: unknown;
  try {
    raw = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new CoreError(CoreErrorCode.CONFIG_INVALID, `cannot read config ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return parseCoreConfig(raw, dirname(resolve(path)), env, path);
}
