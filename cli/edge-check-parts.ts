import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { EdgeConfigSchema } from '../edge/config.js';
import { probeVideo } from '../edge/frames/probe.js';
import { sourceInputProblem } from '../edge/frames/input-check.js';
import { cachedPath, defaultCacheDir, sha256File } from '../edge/models/fetch.js';
import { loadManifest, manifestEntry } from '../edge/models/manifest.js';
import { loadPinnedKey } from '../edge/pinned-key.js';
import { polygonProblem } from '../edge/rule/polygon-check.js';
import { loadSchedule } from '../edge/signal/schedule.js';
import { natsInboxPrefix } from '../proto/index.js';

/**
 * The checks of `zebra edge check`, each over the raw config (so that one mistake does not
 * hide the next): every check returns lines for the checklist and never throws.
 */

export interface Check {
  readonly ok: boolean;
  readonly label: string;
  readonly detail: string;
}

const pass = (label: string, detail: string): Check => ({ ok: true, label, detail });
const failed = (label: string, detail: string): Check => ({ ok: false, label, detail });
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A value at `path` in the raw config, if it has the type `typeof`. */
function at<T>(raw: unknown, path: readonly (string | number)[], type: 'string' | 'object'): T | undefined {
  let v: unknown = raw;
  for (const key of path) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined;
  return typeof v === type && v !== null ? (v as T) : undefined;
}

/** The raw cameras, with their index. */
function cameras(raw: unknown): { i: number; camera: unknown; id: string }[] {
  const list = at<unknown[]>(raw, ['cameras'], 'object');
  return Array.isArray(list)
    ? list.map((camera, i) => ({ i, camera, id: at<string>(camera, ['id'], 'string') ?? `#${i}` }))
    : [];
}

/** Schema problems, all of them, each naming its key (zones and inputs have their own checks). */
export function schemaChecks(raw: unknown): Check[] {
  const parsed = EdgeConfigSchema.safeParse(raw);
  if (parsed.success) return [pass('config', `every key valid, ${cameras(raw).length} camera(s)`)];
  const own = /^cameras\.\d+\.(zone\.polygon|source\.input)(\.|$)/;
  return parsed.error.issues
    .map((i) => ({ key: i.path.join('.') || '(top level)', text: i.message }))
    .filter((i) => !own.test(i.key))
    .map((i) => failed(`config ${i.key}`, i.text));
}

/** Each zone: simple, corners inside the frame. */
export function zoneChecks(raw: unknown): Check[] {
  return cameras(raw).map(({ i, camera, id }) => {
    const label = `camera ${id} zone (cameras.${i}.zone.polygon)`;
    const polygon = at<unknown[]>(camera, ['zone', 'polygon'], 'object');
    if (!Array.isArray(polygon)) return failed(label, 'missing');
    const points = polygon.filter(
      (p): p is [number, number] => Array.isArray(p) && p.length === 2 && p.every((n) => typeof n === 'number'),
    );
    if (points.length !== polygon.length) return failed(label, 'each corner is [x, y], numbers');
    const outside = points.findIndex(([x, y]) => !(x >= 0 && x <= 1 && y >= 0 && y <= 1));
    if (outside >= 0) return failed(label, `corner ${outside} is outside the frame (x and y are from 0 to 1)`);
    const problem = polygonProblem(points);
    return problem ? failed(label, problem) : pass(label, `simple, ${points.length} corners inside the frame`);
  });
}

/** Each camera's input: well formed, and a stream or file ffprobe can read within `timeoutMs`. */
export async function streamChecks(raw: unknown, baseDir: string, timeoutMs: number): Promise<Check[]> {
  return Promise.all(
    cameras(raw).map(async ({ i, camera, id }) => {
      const input = at<string>(camera, ['source', 'input'], 'string');
      const label = `camera ${id} source (cameras.${i}.source.input)`;
      if (!input) return failed(label, 'missing');
      const problem = sourceInputProblem(input);
      if (problem) return failed(label, `${JSON.stringify(input)}: ${problem}`);
      if (input.startsWith('sample:')) return pass(label, `${input} (a sample: checked with the models)`);
      const target = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : abs(baseDir, input);
      try {
        const video = await probeVideo(target, timeoutMs);
        return pass(label, `${input}: ${video.widthPx}x${video.heightPx}`);
      } catch (err) {
        return failed(label, message(err));
      }
    }),
  );
}

const abs = (baseDir: string, p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));

async function readable(baseDir: string, label: string, file: string): Promise<Check> {
  try {
    await access(abs(baseDir, file), constants.R_OK);
    return pass(label, abs(baseDir, file));
  } catch (err) {
    return failed(label, `cannot read ${abs(baseDir, file)}: ${message(err)}`);
  }
}

/** Files the config names: schedules (parsed), controller keys, NATS CA and password, TLS files. */
export async function fileChecks(raw: unknown, baseDir: string): Promise<Check[]> {
  const checks: Promise<Check>[] = [];
  for (const { i, camera, id } of cameras(raw)) {
    const schedule = at<string>(camera, ['signal', 'schedule'], 'string');
    if (schedule) {
      const label = `camera ${id} schedule (cameras.${i}.signal.schedule)`;
      checks.push(
        loadSchedule(abs(baseDir, schedule)).then(
          () => pass(label, abs(baseDir, schedule)),
          (err: unknown) => failed(label, message(err)),
        ),
      );
    }
    const keyFile = at<string>(camera, ['signal', 'controller', 'keyFile'], 'string');
    if (keyFile) {
      const key = `cameras.${i}.signal.controller.keyFile`;
      checks.push(
        loadPinnedKey(abs(baseDir, keyFile), key, "the controller's public key").then(
          (k) => pass(`camera ${id} controller key (${key})`, `key ${k.keyId}`),
          (err: unknown) => failed(`camera ${id} controller key (${key})`, message(err)),
        ),
      );
    }
  }
  for (const [key, path] of [
    ['nats.caFile', ['nats', 'caFile']],
    ['nats.passwordFile', ['nats', 'passwordFile']],
    ['http.tls.certFile', ['http', 'tls', 'certFile']],
    ['http.tls.keyFile', ['http', 'tls', 'keyFile']],
  ] as const) {
    const file = at<string>(raw, path, 'string');
    if (file) checks.push(readable(baseDir, `file ${key}`, file));
  }
  return Promise.all(checks);
}

/** The models the edge runs (and samples it reads), in the cache with the manifest's SHA-256. */
export async function modelChecks(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv): Promise<Check[]> {
  const cacheDirRaw = at<string>(raw, ['models', 'cacheDir'], 'string');
  const cacheDir = cacheDirRaw ? abs(baseDir, cacheDirRaw) : defaultCacheDir(env);
  const face = at<string>(raw, ['redaction', 'faceModel'], 'string') ?? 'ultraface-rfb-640';
  const smallRaw = at<string>(raw, ['redaction', 'smallFaceModel'], 'string') ?? 'ultraface-rfb-320';
  const smallFace = smallRaw === face ? 'none' : smallRaw;
  const samples = cameras(raw)
    .map(({ camera }) => at<string>(camera, ['source', 'input'], 'string'))
    .filter((s): s is string => s?.startsWith('sample:') === true)
    .map((s) => s.slice('sample:'.length));
  const manifest = await loadManifest();
  return Promise.all(
    [...new Set(['yolox-nano', face, ...(smallFace === 'none' ? [] : [smallFace]), ...samples])].map(async (id) => {
      const label = `model ${id}`;
      try {
        const entry = manifestEntry(manifest, id);
        const path = cachedPath(entry, cacheDir);
        const sha = await sha256File(path).catch(() => undefined);
        if (sha === undefined) return failed(label, `not in ${cacheDir}: run zebra models fetch --cache ${cacheDir}`);
        if (sha !== entry.sha256) return failed(label, `${path}: SHA-256 differs from the manifest; fetch it again`);
        return pass(label, `${path}: SHA-256 matches the manifest`);
      } catch (err) {
        return failed(label, message(err));
      }
    }),
  );
}

/** NATS with the device's own user over TLS, within `timeoutMs`; and the pinned core key. */
export async function natsChecks(
  raw: unknown,
  baseDir: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Check[]> {
  const checks: Check[] = [];
  const servers = env.ZEBRA_NATS_URL?.split(',') ?? at<string[]>(raw, ['nats', 'servers'], 'object') ?? [];
  const user = at<string>(raw, ['nats', 'user'], 'string');
  const passwordFile = at<string>(raw, ['nats', 'passwordFile'], 'string');
  const caFile = at<string>(raw, ['nats', 'caFile'], 'string');
  const label = `nats ${servers.join(', ')}`;
  if (!user || !passwordFile || !caFile) {
    checks.push(failed(label, 'needs nats.user, nats.passwordFile and nats.caFile: its own identity, over TLS'));
  } else {
    try {
      const pass_ = (await readFile(abs(baseDir, passwordFile), 'utf8')).trim();
      const nc = await connect({
        servers,
        user,
        pass: pass_,
        tls: { caFile: abs(baseDir, caFile) },
        inboxPrefix: natsInboxPrefix(user),
        timeout: timeoutMs,
        reconnect: false,
        name: 'zebra-edge-check',
      });
      checks.push(pass(label, `connected as ${user} over TLS (${nc.getServer()})`));
      await nc.close();
    } catch (err) {
      checks.push(failed(label, `cannot connect as ${user} over TLS: ${message(err)}`));
    }
  }
  const coreKeyFile = at<string>(raw, ['outbox', 'coreKeyFile'], 'string');
  if (coreKeyFile) {
    checks.push(
      await loadPinnedKey(abs(baseDir, coreKeyFile), 'outbox.coreKeyFile', "the core's audit public key").then(
        (k) => pass('core key (outbox.coreKeyFile)', `key ${k.keyId}`),
        (err: unknown) => failed('core key (outbox.coreKeyFile)', message(err)),
      ),
    );
  }
  return checks;
}
