import { createCoreLogger, loadCoreConfig, startCore } from '../core/index.js';
import {
  createEdgeLogger,
  createProgressPrinter,
  defaultCacheDir,
  ensureFile,
  loadEdgeConfig,
  loadManifest,
  mirrorDirsFromEnv,
  startEdge,
} from '../edge/index.js';
import { untilSignal } from './output.js';

/** `zebra models fetch [--cache DIR]`: fetch and verify every file of models/manifest.json. */
export async function modelsFetch(values: { cache?: string }): Promise<number> {
  const manifest = await loadManifest();
  const cacheDir = values.cache ?? defaultCacheDir(process.env);
  const onProgress = createProgressPrinter(process.stderr);
  for (const entry of manifest.files) {
    await ensureFile(entry, { cacheDir, mirrorDirs: mirrorDirsFromEnv(process.env), onProgress });
  }
  process.stdout.write(`${manifest.files.length} files verified in ${cacheDir}\n`);
  return 0;
}

/** `zebra core run --config FILE`: the core service, until SIGINT or SIGTERM. */
export async function coreRun(values: { config: string }): Promise<number> {
  const config = await loadCoreConfig(values.config, process.env);
  const logger = createCoreLogger(config.logLevel);
  const core = await startCore(config, logger);
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await core.close();
  return 0;
}

/** `zebra edge run --config FILE`: an edge worker, until its cameras end or a signal. */
export async function edgeRun(values: { config: string }): Promise<number> {
  const config = await loadEdgeConfig(values.config, process.env);
  const logger = createEdgeLogger(config.logLevel);
  const edge = await startEdge(config, logger, process.env);
  const stopped = untilSignal().then(async (signal) => {
    logger.info({ signal }, 'stopping');
    await edge.stop();
  });
  const results = await edge.done;
  logger.info({ results }, 'edge finished');
  void stopped;
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}
