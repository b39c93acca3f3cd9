import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EdgeConfig } from './config.js';
import { YoloxOnnxDetector } from './detect/onnx-detector.js';
import { FfmpegFrameSource } from './frames/ffmpeg-source.js';
import type { Logger } from './logger.js';
import { defaultCacheDir, ensureFile, mirrorDirsFromEnv } from './models/fetch.js';
import type { FetchOptions } from './models/fetch.js';
import { loadManifest, manifestEntry } from './models/manifest.js';
import type { Manifest } from './models/manifest.js';
import { runCameraPipeline } from './pipeline/camera-pipeline.js';
import type { PipelineSummary } from './pipeline/camera-pipeline.js';
import { loadOrCreateDeviceKey } from './publish/device-key.js';
import { JetStreamPublisher } from './publish/publisher.js';
import { FileSequencer } from './publish/sequencer.js';
import { UltrafaceOnnxDetector } from './detect/face-detector.js';
import { EvidenceRedactor } from './redact/redactor.js';
import { ScheduleSignalSource, loadSchedule } from './signal/schedule.js';
import { EdgeError, EdgeErrorCode, errorMessage } from './errors.js';
import { EDGE_SOFTWARE_VERSION } from './version.js';

const SAMPLE_PREFIX = 'sample:';

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
}

async function resolveInput(input: string, manifest: Manifest, fetchOptions: FetchOptions): Promise<string> {
  if (!input.startsWith(SAMPLE_PREFIX)) return input;
  return ensureFile(manifestEntry(manifest, input.slice(SAMPLE_PREFIX.length)), fetchOptions);
}

/** Starts the edge: loads and checks the model, connects to NATS, and runs one pipeline per camera. */
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

export async function startEdge(config: EdgeConfig, logger: Logger, env: NodeJS.ProcessEnv): Promise<EdgeRun> {
  const manifest = await loadManifest();
  const fetchOptions: FetchOptions = {
    cacheDir: config.models.cacheDir ?? defaultCacheDir(env),
    mirrorDirs: mirrorDirsFromEnv(env),
    allowDownload: config.models.allowDownload,
  };
  const yolox = manifestEntry(manifest, 'yolox-nano');
  const detector = await YoloxOnnxDetector.create(await ensureFile(yolox, fetchOptions), yolox, {
    ...config.detector,
    classIds: [0],
  });
  logger.info({ model: yolox.id, sha256: yolox.sha256 }, 'detector loaded');
  const faceEntry = manifestEntry(manifest, config.redaction.faceModel);
  const faces = await UltrafaceOnnxDetector.create(await ensureFile(faceEntry, fetchOptions), faceEntry, {
    minScore: config.redaction.faceMinScore,
    nmsIou: 0.3,
    intraOpThreads: config.detector.intraOpThreads,
  });
  const redactor = new EvidenceRedactor(
    {
      method: config.redaction.method,
      minBlockPx: 6,
      personDetectorId: yolox.id,
      faceMarginRatio: config.redaction.faceMarginRatio,
    },
    faces,
  );
  logger.info({ model: faceEntry.id, sha256: faceEntry.sha256 }, 'face detector loaded (used only to mask faces)');
  const deviceKey = await loadOrCreateDeviceKey(join(config.stateDir, 'device-key.pem'));
  logger.info({ keyId: deviceKey.keyId }, 'device key ready');
  const publisher = await JetStreamPublisher.connect(
    {
      servers: config.nats.servers,
      name: `zebra-edge-${config.deviceId}`,
      maxAttempts: 8,
      retryDelayMs: 250,
      user: config.nats.user,
      password: config.nats.passwordFile ? await readSecret(config.nats.passwordFile) : undefined,
    },
    logger.child({ component: 'publisher' }),
  );
  const sources: FfmpegFrameSource[] = [];
  const runCamera = async (camera: EdgeConfig['cameras'][number]): Promise<PipelineSummary> => {
    const startAtMs = Date.now();
    const source = new FfmpegFrameSource({
      cameraId: camera.id,
      input: await resolveInput(camera.source.input, manifest, fetchOptions),
      fps: camera.source.fps,
      startAtMs,
      realtime: camera.source.realtime,
    });
    sources.push(source);
    const cameraLogger = logger.child({ component: 'pipeline', camera: camera.id });
    const summary = await runCameraPipeline({
      deviceId: config.deviceId,
      siteId: config.siteId,
      cameraId: camera.id,
      zone: camera.zone,
      source,
      detector,
      signal: new ScheduleSignalSource(await loadSchedule(camera.signal.schedule), startAtMs),
      redactor,
      publisher,
      sequencer: await FileSequencer.open(config.stateDir, camera.id),
      deviceKey,
      models: [
        { modelId: yolox.id, sha256Hex: yolox.sha256 },
        { modelId: faceEntry.id, sha256Hex: faceEntry.sha256 },
      ],
      edgeSoftwareVersion: EDGE_SOFTWARE_VERSION,
      rule: config.rule,
      tracker: config.tracker,
      jpegQuality: config.evidence.jpegQuality,
      logger: cameraLogger,
    });
    cameraLogger.info(summary, 'camera source ended');
    return summary;
  };
  // One camera failing never stops the others; its result says why it stopped.
  const runs = config.cameras.map((camera) =>
    runCamera(camera).then(
      (summary): CameraResult => ({ cameraId: camera.id, summary }),
      (err: unknown): CameraResult => {
        logger.error({ err, camera: camera.id }, 'camera stopped');
        return { cameraId: camera.id, error: errorMessage(err) };
      },
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(sources.map((s) => s.close()));
  };
  const done = Promise.all(runs).finally(async () => {
    await publisher.close();
    await detector.dispose();
    await faces.dispose();
  });
  return { done, stop };
}
