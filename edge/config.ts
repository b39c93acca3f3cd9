import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { isSubjectToken } from '../proto/index.js';
import { EdgeError, EdgeErrorCode, errorMessage } from './errors.js';
import { EvidenceSection, RedactionSection, RuleSection, TrackerSection } from './config-vision.js';
import { sourceInputProblem } from './frames/input-check.js';
import { polygonProblem } from './rule/polygon-check.js';

const Id = z.string().refine(isSubjectToken, 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -');
const Norm = z.number().min(0, 'must be in [0,1]').max(1, 'must be in [0,1]');

const CameraConfig = z
  .object({
    id: Id.describe('Camera id, unique on this device'),
    source: z
      .object({
        input: z
          .string()
          .min(1)
          .superRefine((input, ctx) => {
            const problem = sourceInputProblem(input);
            if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(input)}: ${problem}` });
          })
          .describe('Video file, stream URL (rtsp://, http(s)://...), or "sample:<manifest id>" for a sample file'),
        fps: z.number().positive().max(30).default(5).describe('Frames per second to decode and detect'),
        realtime: z.boolean().default(false).describe('Read a file at its native rate, as a live camera would'),
        stallTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .describe('A stream that delivers no frame this long has stalled: it is reopened'),
        reconnect: z
          .object({
            baseDelayMs: z.number().int().positive().default(500).describe('Backoff: first wait (after fast retries)'),
            maxDelayMs: z.number().int().positive().default(5_000).describe('Backoff: longest wait between attempts'),
            healthyAfterFrames: z.number().int().positive().default(25).describe('Frames in a row that reset the wait'),
            fastRetryDelayMs: z.number().int().positive().default(250).describe('Early in an outage, wait this long'),
            fastRetryForMs: z
              .number()
              .int()
              .nonnegative()
              .default(10_000)
              .describe('How long is early (0: back off at once)'),
          })
          .strict()
          .prefault({}),
      })
      .strict(),
    zone: z
      .object({
        id: Id.describe('Crosswalk zone id'),
        version: z.number().int().positive().describe('Bump whenever the polygon changes'),
        polygon: z
          .array(z.tuple([Norm, Norm]))
          .min(3, 'needs at least 3 points')
          .superRefine((polygon, ctx) => {
            const problem = polygonProblem(polygon);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .describe('Normalised [x,y] corners, in order around the zone (no edge may cross another)'),
      })
      .strict(),
    signal: z
      .object({
        schedule: z.string().min(1).optional().describe('Signal schedule file (YAML), relative to this config (demos)'),
        controller: z
          .object({
            id: Id.describe('Controller id: reports arrive on zebra.v1.signal.<site>.<id>'),
            keyFile: z
              .string()
              .min(1)
              .describe(
                "The controller's (or its bridge's) Ed25519 public key, PEM, relative to this config: a report signed by any other key is refused",
              ),
            staleAfterMs: z
              .number()
              .int()
              .positive()
              .default(2500)
              .describe('Suspend when no report arrived for this long'),
            maxClockOffsetMs: z
              .number()
              .int()
              .positive()
              .default(500)
              .describe('Suspend when the device clock is further than this from the controller'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine(
        (s) => (s.schedule === undefined) !== (s.controller === undefined),
        'set exactly one of schedule or controller',
      ),
  })
  .strict();

const ClockSection = z
  .object({
    source: z
      .enum(['auto', 'chrony', 'timedatectl', 'adjtimex', 'ignore'])
      .default('auto')
      .describe(
        'Where the edge reads whether the system clock is synchronised: auto tries chrony (chronyc), systemd-timesyncd (timedatectl), then the kernel (adjtimex); ignore is for replays and tests only (the controller offset alone decides)',
      ),
    pollIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe('How often the system clock state is read again'),
    maxOffsetMs: z
      .number()
      .positive()
      .default(100)
      .describe(
        'The system clock is unsynced when its daemon (chrony) reports it further than this from its reference',
      ),
    chronySocket: z
      .string()
      .min(1)
      .optional()
      .describe("chronyc's -h: chronyd's command socket (a path) or host; default chronyc's own"),
  })
  .strict()
  .prefault({})
  .describe(
    'The system clock: on cameras with a controller feed, a clock the system does not report synchronised suspends enforcement',
  );

export const EdgeConfigSchema = z
  .object({
    deviceId: Id.describe('This device, as registered with the core'),
    siteId: Id.describe('The intersection this device serves'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    stateDir: z.string().min(1).describe('Device key and sequence counters, relative to this config'),
    nats: z
      .object({
        servers: z.array(z.string().min(1)).min(1).describe('NATS URLs; ZEBRA_NATS_URL overrides'),
        user: z
          .string()
          .min(1)
          .optional()
          .describe("This device's NATS user on the hub (its permissions: devicePermissions)"),
        passwordFile: z
          .string()
          .min(1)
          .optional()
          .describe('File holding that user’s password, relative to this config'),
        caFile: z
          .string()
          .min(1)
          .optional()
          .describe('The private CA that signed the NATS server’s certificate (TLS is always on)'),
      })
      .strict()
      .refine(
        (n) => (n.user === undefined) === (n.passwordFile === undefined),
        'set nats.user and nats.passwordFile together',
      ),
    models: z
      .object({
        cacheDir: z.string().optional().describe('Verified model cache; default $ZEBRA_CACHE_DIR or ~/.cache/zebra'),
        allowDownload: z.boolean().default(true).describe('Download from the manifest URL when no mirror has a file'),
      })
      .strict()
      .prefault({}),
    detector: z
      .object({
        minScore: z
          .number()
          .min(0)
          .max(1)
          .default(0.1)
          .describe(
            'Lowest person score kept; the tracker uses scores below tracker.highScore only to continue tracks',
          ),
        nmsIou: z.number().min(0).max(1).default(0.45),
        minBoxHeight: Norm.default(0.03).describe('Drop person boxes shorter than this fraction of the frame'),
        intraOpThreads: z.number().int().min(1).max(16).default(1),
        workers: z.number().int().min(1).max(8).default(2).describe('Inference worker threads (persons and faces)'),
      })
      .strict()
      .prefault({}),
    tracker: TrackerSection,
    rule: RuleSection,
    redaction: RedactionSection,
    evidence: EvidenceSection,
    gating: z
      .object({
        enabled: z.boolean().default(true).describe('Skip the detector on frames without motion and without tracks'),
        gridWidth: z.number().int().min(8).max(256).default(64),
        cellThreshold: z.number().min(1).max(255).default(20).describe('Luma change (0-255) of a moved grid cell'),
        minChangedRatio: z.number().min(0).max(1).default(0.002).describe('Share of cells that must move'),
        backgroundAlpha: z.number().min(0.01).max(1).default(0.2),
        maxIntervalMs: z.number().int().positive().default(5000).describe('Detect at least this often regardless'),
        stationarySpeedPerS: z
          .number()
          .min(0)
          .max(1)
          .default(0.02)
          .describe('Tracks slower than this (frame sizes per second) stand still and do not force detection'),
      })
      .strict()
      .prefault({}),
    obstruction: z
      .object({
        maxLumaStddev: z.number().min(0).max(128).default(6).describe('A view flatter than this looks covered'),
        afterMs: z.number().int().positive().default(2000).describe('for at least this long'),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        listen: z.string().min(1).optional().describe('host:port for /healthz and /metrics over HTTPS; unset: off'),
        tls: z
          .object({
            certFile: z.string().min(1).describe('Certificate from the private CA (zebra pki issue), PEM'),
            keyFile: z.string().min(1).describe('Its key, PEM, mode 0600'),
          })
          .strict()
          .optional()
          .describe('Required with listen: there is no cleartext listener'),
      })
      .strict()
      .refine((h) => h.listen === undefined || h.tls !== undefined, {
        message: 'http.tls is required with http.listen (no cleartext listener): make a certificate with zebra pki',
        path: ['tls'],
      })
      .prefault({}),
    health: z
      .object({
        cameraNoFrameMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe('/healthz turns red (camera "stalled") when a camera has had no frame for this long'),
        spoolWaitMs: z
          .number()
          .int()
          .positive()
          .default(300_000)
          .describe(
            '/healthz turns red when signed messages have waited in the device spool this long without it emptying',
          ),
      })
      .strict()
      .prefault({}),
    outbox: z
      .object({
        hubDomain: Id.default('hub').describe("The hub's JetStream domain, for sourcing this site's receipts"),
        coreKeyFile: z
          .string()
          .min(1)
          .describe(
            "The core's receipt key (its audit public key: zebra audit public-key), PEM, relative to this config: a receipt signed by any other key purges nothing",
          ),
        promisedOutageHours: z
          .number()
          .positive()
          .default(72)
          .describe('How long the uplink may be down without losing an event'),
        peakEventsPerHour: z
          .number()
          .positive()
          .default(60)
          .describe('Events per hour, all cameras together, the outbox must hold through that outage'),
        eventBytes: z.number().int().min(1024).default(32_768).describe('Room kept per event message'),
        evidenceBytesPerEvent: z
          .number()
          .int()
          .min(1024)
          .default(2_000_000)
          .describe('Room kept per event for its evidence (keyframes and clip)'),
      })
      .strict()
      .optional()
      .describe(
        "Set when nats.servers is the site's leaf node: events and evidence wait in the site's outbox until the core's receipt",
      ),
    clock: ClockSection,
    cameras: z.array(CameraConfig).min(1, 'configure at least one camera'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.cameras.forEach((camera, i) => {
      if (seen.has(camera.id))
        ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: `duplicate camera id "${camera.id}"` });
      seen.add(camera.id);
    });
  });

export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** Every zod issue as "key.path: problem": one on the line, several each on their own line. */
export function describeIssue(error: z.ZodError): string {
  const lines = error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`);
  if (lines.length === 0) return 'invalid';
  return lines.length === 1 ? lines[0]! : `${lines.length} problems:\n  ${lines.join('\n  ')}`;
}

/**
 * Parses a config object (env overlay applied), resolves relative paths against `baseDir`,
 * and returns it frozen. Throws EDGE_CONFIG_INVALID naming the key and the problem.
 */
export function parseEdgeConfig(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv, origin: string): EdgeConfig {
  const parsed = EdgeConfigSchema.safeParse(raw);
  if (!parsed.success) throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `${origin}: ${describeIssue(parsed.error)}`);
  const config = parsed.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  return deepFreeze({
    ...config,
    stateDir: abs(config.stateDir),
    nats: {
      ...config.nats,
      servers: env.ZEBRA_NATS_URL ? env.ZEBRA_NATS_URL.split(',') : config.nats.servers,
      passwordFile: config.nats.passwordFile ? abs(config.nats.passwordFile) : undefined,
      caFile: config.nats.caFile ? abs(config.nats.caFile) : undefined,
    },
    models: { ...config.models, cacheDir: config.models.cacheDir ? abs(config.models.cacheDir) : undefined },
    http: {
      ...config.http,
      tls: config.http.tls
        ? { certFile: abs(config.http.tls.certFile), keyFile: abs(config.http.tls.keyFile) }
        : undefined,
    },
    outbox: config.outbox ? { ...config.outbox, coreKeyFile: abs(config.outbox.coreKeyFile) } : undefined,
    cameras: config.cameras.map((c) => ({
      ...c,
      source: { ...c.source, input: /^[a-z]+:/.test(c.source.input) ? c.source.input : abs(c.source.input) },
      signal: {
        ...c.signal,
        schedule: c.signal.schedule ? abs(c.signal.schedule) : undefined,
        controller: c.signal.controller
          ? { ...c.signal.controller, keyFile: abs(c.signal.controller.keyFile) }
          : undefined,
      },
    })),
  });
}

/** The parsed YAML (or JSON) of a config file, or an EdgeError naming the file and why it cannot be read. */
export async function readConfigFile(path: string): Promise<unknown> {
  try {
    return parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `cannot read config ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** Reads a YAML or JSON config file. */
export async function loadEdgeConfig(path: string, env: NodeJS.ProcessEnv): Promise<EdgeConfig> {
  const raw = await readConfigFile(path);
  const config = parseEdgeConfig(raw, dirname(resolve(path)), env, path);
  await assertFilesPresent(config, path);
  return config;
}

/** The files a config names that must be there before anything starts (schedules, controller keys). */
async function assertFilesPresent(config: EdgeConfig, origin: string): Promise<void> {
  const named = config.cameras.flatMap((c, i) => [
    ...(c.signal.schedule ? [[`cameras.${i}.signal.schedule`, c.signal.schedule] as const] : []),
    ...(c.signal.controller ? [[`cameras.${i}.signal.controller.keyFile`, c.signal.controller.keyFile] as const] : []),
  ]);
  const missing: string[] = [];
  for (const [key, file] of named) {
    await access(file, constants.R_OK).catch((err: unknown) =>
      missing.push(`${key}: cannot read ${file} (${errorMessage(err)})`),
    );
  }
  if (missing.length === 1) throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `${origin}: ${missing[0]}`);
  if (missing.length > 1)
    throw new EdgeError(
      EdgeErrorCode.CONFIG_INVALID,
      `${origin}: ${missing.length} problems:\n  ${missing.join('\n  ')}`,
    );
}
