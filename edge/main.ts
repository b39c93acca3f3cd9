import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CandidateTally, tallySigningBytes } from '../proto/index.js';
import type { ModelRef } from '../proto/index.js';
import type { EdgeConfig } from './config.js';
import { isStreamUrl, openFrameSource } from './frames/open-source.js';
import type { FrameSource } from './frames/frame.js';
import { startEdgeHttp } from './http.js';
import { CameraBoard } from './camera-health.js';
import { deviceHealthReader } from './health.js';
import type { EdgeHealth } from './health.js';
import { InferencePool } from './inference/inference-pool.js';
import type { Logger } from './logger.js';
import { createEdgeMetrics } from './metrics.js';
import type { EdgeMetrics } from './metrics.js';
import { defaultCacheDir, ensureFile, mirrorDirsFromEnv } from './models/fetch.js';
import type { FetchOptions } from './models/fetch.js';
import { loadManifest, manifestEntry } from './models/manifest.js';
import type { Manifest } from './models/manifest.js';
import { runCameraPipeline } from './pipeline/camera-pipeline.js';
import { EvidenceQueues } from './pipeline/evidence-queue.js';
import type { PipelineSummary } from './pipeline/camera-pipeline.js';
import type { Frame } from './frames/frame.js';
import type { NatsConnection } from '@nats-io/transport-node';
import type { EventPublisher } from './publish/publisher.js';
import { loadOrCreateDeviceKey } from './publish/device-key.js';
import type { DeviceKey } from './publish/device-key.js';
import { JetStreamPublisher } from './publish/publisher.js';
import { SpoolingPublisher } from './publish/spooling-publisher.js';
import { ReceiptPurger, loadCoreKey, outboxLimits, startOutboxMonitor } from './outbox/index.js';
import type { OutboxMonitor } from './outbox/index.js';
import { FileSequencer } from './publish/sequencer.js';
import { EvidenceRedactor } from './redact/redactor.js';
import { redactorOptionsFromConfig, smallFaceModelId } from './redact/redactor-config.js';
import { loadPinnedKey } from './pinned-key.js';
import type { PinnedKey } from './pinned-key.js';
import { ClockedSignalSource } from './clock/clocked-signal.js';
import { SystemClockMonitor } from './clock/system-clock.js';
import { ControllerSignalSource } from './signal/controller-source.js';
import { ScheduleSignalSource, loadSchedule } from './signal/schedule.js';
import type { SignalSource } from './signal/signal.js';
import { EdgeError, EdgeErrorCode, errorMessage } from './errors.js';
import { EDGE_SOFTWARE_VERSION } from './version.js';

const SAMPLE_PREFIX = 'sample:';
const CONTROLLER_KEEP_MS = 10 * 60_000;

/** How one camera's run ended: with a summary, or with the error that stopped it. */
export interface CameraResult {
  readonly cameraId: string;
  readonly summary?: PipelineSummary;
  readonly error?: string;
}

export interface EdgeRun {
  /** Resolves when every camera has ended (file sources) or stopped; never rejects. */
  readonly done: Promise<CameraResult[]>;
  /** Stops every camera and closes the NATS connection. */
  stop(): Promise<void>;
  readonly metrics: EdgeMetrics;
  /** host:port of /healthz and /metrics, when http.listen is set. */
  readonly httpAddress?: string;
}

/** Where events go: JetStream normally, a folder for replays. */
/** Spooled events are sent again after 1 s, then at most every 30 s. */
const SPOOL_RETRY = { retryDelayMs: 1_000, maxRetryDelayMs: 30_000 };

/** On stop, spooled events get this long to reach the outbox; the rest go on the next start. */
const DRAIN_ON_STOP_MS = 30_000;

export interface EdgeTransport extends EventPublisher {
  readonly isConnected: boolean;
  /** The site NATS connection (controller signal feeds); absent for a folder. */
  readonly connection?: NatsConnection;
}

export interface EdgeRunHooks {
  /** Called after every frame of every camera (progress displays). */
  readonly onFrame?: (frame: Frame, summary: Readonly<PipelineSummary>) => void;
  /** Replaces the NATS connection (replays write to a folder). */
  readonly transport?: EdgeTransport;
  /** When each camera's first frame of a file is stamped (default: the camera's start, now). */
  readonly startAtMs?: () => number;
}

async function resolveInput(input: string, manifest: Manifest, fetchOptions: FetchOptions): Promise<string> {
  if (!input.startsWith(SAMPLE_PREFIX)) return input;
  return ensureFile(manifestEntry(manifest, input.slice(SAMPLE_PREFIX.length)), fetchOptions);
}

interface SiteOutbox {
  readonly monitor: OutboxMonitor;
  readonly purger: ReceiptPurger;
}

/**
 * Connects to NATS. With `outbox` set, `nats.servers` is the site's leaf node: events and
 * evidence go into the site outbox, and the core's receipts purge them from it.
 */
async function connectPublisher(
  config: EdgeConfig,
  metrics: EdgeMetrics,
  logger: Logger,
): Promise<{ publisher: JetStreamPublisher; outbox?: SiteOutbox }> {
  const { user, passwordFile, caFile } = config.nats;
  const missing = Object.entries({ user, passwordFile, caFile }).filter(([, v]) => v === undefined);
  if (missing.length > 0 || !user || !passwordFile || !caFile) {
    throw new EdgeError(
      EdgeErrorCode.CONFIG_INVALID,
      `${missing.map(([k]) => `nats.${k}`).join(', ')}: required to publish; the edge never connects to NATS ` +
        'without its own user or without TLS (make the CA and certificates with `zebra pki`)',
    );
  }
  const limits = config.outbox ? outboxLimits(config.outbox, config.cameras.length) : undefined;
  // Read before connecting: a device that cannot check receipts does not start.
  const coreKey = config.outbox ? await loadCoreKey(config.outbox.coreKeyFile) : undefined;
  // Set once the outbox is open; refusals before that cannot happen.
  const watch: { monitor?: OutboxMonitor } = {};
  const publisher = await JetStreamPublisher.connect(
    {
      servers: config.nats.servers,
      name: `zebra-edge-${config.deviceId}`,
      // The spool tries again for as long as it takes; one send gives up sooner.
      maxAttempts: 3,
      retryDelayMs: 250,
      user,
      password: await readSecret(passwordFile),
      caFile,
      outbox:
        config.outbox && limits
          ? { siteId: config.siteId, hubDomain: config.outbox.hubDomain, limits, receiptsMaxAgeMs: 30 * 86_400_000 }
          : undefined,
      onOutboxFull: (store) => watch.monitor?.refused(store),
    },
    logger.child({ component: 'publisher' }),
  );
  if (!config.outbox || !limits || !coreKey) return { publisher };
  const outboxLogger = logger.child({ component: 'outbox' });
  outboxLogger.info(
    { ...limits, promisedOutageHours: config.outbox.promisedOutageHours },
    `site outbox sized for ${config.outbox.promisedOutageHours} h at ${config.outbox.peakEventsPerHour} events/h`,
  );
  const monitor = startOutboxMonitor(publisher.connection, limits, metrics, outboxLogger);
  watch.monitor = monitor;
  const ids = { siteId: config.siteId, deviceId: config.deviceId, coreKey };
  const purger = await ReceiptPurger.start(publisher, ids, outboxLogger, metrics);
  return { publisher, outbox: { monitor, purger } };
}

/** A one-line secret file (trailing newline ignored). Throws EDGE_CONFIG_INVALID naming the key. */
async function readSecret(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new EdgeError(EdgeErrorCode.CONFIG_INVALID, `nats.passwordFile: cannot read ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** SHA-256 of the configuration as validated: what every event says decided it. */
export function configSha256(config: EdgeConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

async function startInference(config: EdgeConfig, manifest: Manifest, fetchOptions: FetchOptions, logger: Logger) {
  const yolox = manifestEntry(manifest, 'yolox-nano');
  const faceEntry = manifestEntry(manifest, config.redaction.faceModel);
  const smallModel = smallFaceModelId(config.redaction);
  const smallEntry = smallModel === undefined ? undefined : manifestEntry(manifest, smallModel);
  const { intraOpThreads, minScore, nmsIou, minBoxHeight, workers } = config.detector;
  const pool = await InferencePool.start(
    {
      persons: {
        path: await ensureFile(yolox, fetchOptions),
        entry: yolox,
        options: { minScore, nmsIou, minBoxHeight, intraOpThreads, classIds: [0] },
      },
      faces: {
        path: await ensureFile(faceEntry, fetchOptions),
        entry: faceEntry,
        options: { minScore: config.redaction.faceMinScore, nmsIou: 0.3, intraOpThreads },
        ...(smallEntry ? { small: { path: await ensureFile(smallEntry, fetchOptions), entry: smallEntry } } : {}),
      },
    },
    workers,
    logger.child({ component: 'inference' }),
  );
  logger.info(
    { persons: yolox.id, faces: faceEntry.id, smallFaces: smallEntry?.id, workers, intraOpThreads },
    'models loaded in worker threads (faces only to mask them)',
  );
  const models: ModelRef[] = [
    { modelId: yolox.id, sha256Hex: yolox.sha256 },
    { modelId: faceEntry.id, sha256Hex: faceEntry.sha256 },
    ...(smallEntry ? [{ modelId: smallEntry.id, sha256Hex: smallEntry.sha256 }] : []),
  ];
  const redactor = new EvidenceRedactor(redactorOptionsFromConfig(config, yolox.id), pool.faces);
  return { pool, models, redactor };
}

/** Each controller-fed camera's pinned controller key, by camera id. Throws EDGE_CONFIG_INVALID naming the key. */
async function loadControllerKeys(config: EdgeConfig): Promise<Map<string, PinnedKey>> {
  const keys = new Map<string, PinnedKey>();
  for (const camera of config.cameras) {
    const controller = camera.signal.controller;
    if (!controller) continue;
    const configKey = `cameras.${camera.id}.signal.controller.keyFile`;
    const hint = "copy the controller's (or its bridge's) Ed25519 public key there";
    keys.set(camera.id, await loadPinnedKey(controller.keyFile, configKey, hint));
  }
  return keys;
}

function signalFor(
  camera: EdgeConfig['cameras'][number],
  config: EdgeConfig,
  publisher: EdgeTransport,
  startAtMs: number,
  logger: Logger,
  metrics: EdgeMetrics,
  controllerKeys: ReadonlyMap<string, PinnedKey>,
  clock: SystemClockMonitor | undefined,
): Promise<SignalSource> {
  const { controller, schedule } = camera.signal;
  if (controller) {
    if (!publisher.connection)
      throw new EdgeError(
        EdgeErrorCode.CONFIG_INVALID,
        `cameras.${camera.id}.signal.controller needs a NATS connection; replays take a schedule`,
      );
    const options = {
      controllerId: controller.id,
      key: controllerKeys.get(camera.id)!,
      staleAfterMs: controller.staleAfterMs,
      maxClockOffsetMs: controller.maxClockOffsetMs,
      keepMs: CONTROLLER_KEEP_MS,
    };
    const nc = publisher.connection;
    const feed = ControllerSignalSource.subscribe(nc, config.siteId, options, { cameraId: camera.id, logger, metrics });
    // The system's own clock state joins the controller offset (clock.source "ignore": not).
    return Promise.resolve(clock ? new ClockedSignalSource(feed, () => clock.status) : feed);
  }
  return loadSchedule(schedule!).then((s) => new ScheduleSignalSource(s, startAtMs));
}

function tallySender(publisher: EventPublisher, key: DeviceKey) {
  return async (tally: Omit<CandidateTally, 'signature'>): Promise<void> => {
    const unsigned = CandidateTally.fromPartial(tally);
    const signature = { algorithm: 'ed25519', keyId: key.keyId, signature: key.sign(tallySigningBytes(unsigned)) };
    await publisher.publishTally({ ...unsigned, signature });
  };
}

/** Starts the edge: loads and checks the models, connects to NATS, and runs one pipeline per camera. */
export async function startEdge(
  config: EdgeConfig,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  hooks: EdgeRunHooks = {},
): Promise<EdgeRun> {
  const manifest = await loadManifest();
  const fetchOptions: FetchOptions = {
    cacheDir: config.models.cacheDir ?? defaultCacheDir(env),
    mirrorDirs: mirrorDirsFromEnv(env),
    allowDownload: config.models.allowDownload,
  };
  // Read before anything starts: a camera that cannot authenticate its signal does not run.
  const controllerKeys = await loadControllerKeys(config);
  const metrics = createEdgeMetrics();
  const { pool, models, redactor } = await startInference(config, manifest, fetchOptions, logger);
  const deviceKey = await loadOrCreateDeviceKey(join(config.stateDir, 'device-key.pem'));
  logger.info({ keyId: deviceKey.keyId }, 'device key ready');
  let publisher: EdgeTransport;
  let outbox: SiteOutbox | undefined;
  let spooling: SpoolingPublisher | undefined;
  try {
    if (hooks.transport) publisher = hooks.transport;
    else {
      const connected = await connectPublisher(config, metrics, logger);
      outbox = connected.outbox;
      spooling = await SpoolingPublisher.open(
        join(config.stateDir, 'spool'),
        connected.publisher,
        logger.child({ component: 'spool' }),
        SPOOL_RETRY,
        metrics,
      );
      publisher = spooling;
    }
  } catch (err) {
    await pool.close();
    throw err;
  }
  // Read before the first frame when a camera decides on the device clock (a controller feed).
  const clock =
    config.clock.source !== 'ignore' && config.cameras.some((c) => c.signal.controller)
      ? await SystemClockMonitor.start(
          { ...config.clock, source: config.clock.source },
          logger.child({ component: 'clock' }),
          metrics,
        )
      : undefined;
  const hash = configSha256(config);
  // One set of queues for the device: events per camera, frame bytes across all cameras.
  const evidenceQueues = new EvidenceQueues(config.evidence, logger.child({ component: 'evidence' }), metrics);
  const sources: FrameSource[] = [];
  const signals = new Map<string, SignalSource>();
  const board = new CameraBoard(config.cameras.map((c) => c.id));
  const runCamera = async (camera: EdgeConfig['cameras'][number]): Promise<PipelineSummary> => {
    const startAtMs = hooks.startAtMs?.() ?? Date.now();
    const cameraLogger = logger.child({ component: 'pipeline', camera: camera.id });
    const input = await resolveInput(camera.source.input, manifest, fetchOptions);
    const source = await openFrameSource(
      { cameraId: camera.id, ...camera.source, input, startAtMs },
      cameraLogger,
      (reason) => {
        metrics.sourceRestarts.inc({ camera: camera.id });
        board.dropped(camera.id, reason);
      },
    );
    sources.push(source);
    const signal = await signalFor(camera, config, publisher, startAtMs, cameraLogger, metrics, controllerKeys, clock);
    signals.set(camera.id, signal);
    const summary = await runCameraPipeline({
      deviceId: config.deviceId,
      siteId: config.siteId,
      cameraId: camera.id,
      zone: camera.zone,
      source,
      detector: pool.persons,
      signal,
      redactor,
      publisher,
      sequencer: await FileSequencer.open(config.stateDir, camera.id),
      deviceKey,
      models,
      edgeSoftwareVersion: EDGE_SOFTWARE_VERSION,
      configSha256: hash,
      rule: config.rule,
      tracker: config.tracker,
      gating: config.gating,
      obstruction: config.obstruction,
      jpegQuality: config.evidence.jpegQuality,
      window: config.evidence,
      logger: cameraLogger,
      metrics,
      onTally: tallySender(publisher, deviceKey),
      onFrame: (frame, summary) => {
        board.frame(camera.id);
        hooks.onFrame?.(frame, summary);
      },
      evidenceQueues,
      // A file replayed as fast as it goes waits for evidence; a live camera cannot.
      waitForEvidence: !camera.source.realtime && !isStreamUrl(input),
    });
    board.ended(camera.id);
    cameraLogger.info(summary, 'camera source ended');
    return summary;
  };
  const reading = deviceHealthReader({
    config,
    board,
    signals,
    evidence: evidenceQueues,
    isConnected: () => publisher.isConnected,
    outboxState: outbox && (() => outbox.monitor.state()),
    spoolWaitingSinceMs: () => spooling?.waitingSinceMs,
  });
  metrics.watchHealth(reading);
  const health = (): EdgeHealth => {
    const { ok, checks } = reading();
    if (clock) checks.clock = `${clock.status.state}: ${clock.status.detail}`;
    return { ok, checks };
  };
  const http =
    config.http.listen && config.http.tls
      ? await startEdgeHttp(config.http.listen, config.http.tls, metrics, health)
      : undefined;
  // One camera failing never stops the others; its result says why it stopped.
  const runs = config.cameras.map((camera) =>
    runCamera(camera).then(
      (summary): CameraResult => ({ cameraId: camera.id, summary }),
      (err: unknown): CameraResult => {
        board.failed(camera.id, errorMessage(err));
        logger.error({ err, camera: camera.id }, 'camera stopped');
        return { cameraId: camera.id, error: errorMessage(err) };
      },
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(sources.map((s) => s.close()));
  };
  const done = Promise.all(runs).finally(async () => {
    clock?.close();
    await Promise.all([...signals.values()].map((s) => s.close()));
    outbox?.monitor.close();
    await outbox?.purger.close();
    await (spooling ? spooling.close(DRAIN_ON_STOP_MS) : publisher.close());
    await pool.close();
    await http?.close();
  });
  return { done, stop, metrics, httpAddress: http?.address };
}
