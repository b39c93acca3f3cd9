import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { freePorts } from '../../cli/nats-server.js';

/** Debian's Python, which python3-gi and the GStreamer typelibs are installed for. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, 'rtsp_server.py');
const PACKAGES =
  'gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav';

export interface RtspServerOptions {
  /** The video to serve (looped never: its end ends the stream, as a camera reboot would). */
  readonly file: string;
  readonly path?: string;
  /** Basic auth: the server refuses clients without these. */
  readonly user?: string;
  readonly password?: string;
  /** Served resolution, "WxH" (default 768x576, vtest's own). */
  readonly size?: string;
  /** Served frame rate (default 10, vtest's own). */
  readonly fps?: number;
  /**
   * Serve the H.264 in `file` (an MP4) as it is, not re-encoded: the stream carries the file's
   * own bytes (size, fps and the size command do not apply).
   */
  readonly passthrough?: boolean;
}

/** A running GStreamer RTSP server on 127.0.0.1 (test/harness/rtsp_server.py). */
export interface TestRtspServer extends AsyncDisposable {
  readonly port: number;
  /** rtsp://[user:password@]127.0.0.1:port/path */
  readonly url: string;
  /** Stops sending video; the connection stays open. */
  stall(): Promise<void>;
  resume(): Promise<void>;
  /** Switches the stream to another resolution, "WxH". */
  setSize(size: string): Promise<void>;
  /** Stops the server (clients see the connection close). */
  stop(): Promise<void>;
  /** Starts it again on the same port, from the start of the file (at another size, if given). */
  start(size?: string): Promise<void>;
}

/** Fails with the packages to install when GStreamer's RTSP server cannot be loaded. */
export function requireGstRtspServer(): void {
  try {
    execFileSync(
      PYTHON,
      [
        '-c',
        "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, GstRtspServer; Gst.init(None); " +
          "missing = [e for e in ('x264enc', 'avdec_msmpeg4', 'h264parse', 'qtdemux') if not Gst.ElementFactory.find(e)]; " +
          "assert not missing, ' '.join(missing) + ' missing (gstreamer1.0-plugins-ugly, -bad, -good, gstreamer1.0-libav)'",
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    const detail = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').at(-1) ?? String(err);
    throw new Error(`GStreamer's RTSP server is not usable (${detail}): apt-get install -y ${PACKAGES}`);
  }
}

type ServerProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** Starts the RTSP server on a free port; dispose (or stop) ends it. */
export async function startRtspServer(options: RtspServerOptions): Promise<TestRtspServer> {
  requireGstRtspServer();
  const [port] = await freePorts(1);
  const path = options.path ?? '/cam';
  const args = [SCRIPT, '--file', options.file, '--port', String(port), '--path', path];
  if (options.user) args.push('--user', options.user, '--password', options.password ?? '');
  if (options.size) args.push('--size', options.size);
  if (options.fps) args.push('--fps', String(options.fps));
  if (options.passthrough) args.push('--passthrough');
  let child: ServerProcess | undefined;
  let answers: string[] = [];
  let waiting: (() => void) | undefined;
  let stderr = '';

  const nextLine = async (prefix: string, timeoutMs: number): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = answers.findIndex((l) => l.startsWith(prefix));
      if (i !== -1) return answers.splice(i, 1)[0]!;
      if (!child || child.exitCode !== null) throw new Error(`RTSP server exited: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error(`RTSP server: no "${prefix}" within ${timeoutMs} ms: ${stderr}`);
      await new Promise<void>((resolve) => {
        waiting = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  const start = async (size?: string): Promise<void> => {
    answers = [];
    stderr = '';
    const proc = spawn(PYTHON, size ? [...args, '--size', size] : args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    proc.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      answers.push(line);
      waiting?.();
    });
    await nextLine('ready', 20_000);
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    proc.kill('SIGKILL');
    await closed;
  };
  const command = async (line: string): Promise<void> => {
    child?.stdin.write(`${line}\n`);
    await nextLine(`ok ${line.split(' ')[0]}`, 10_000);
  };
  await start();
  const auth = options.user ? `${encodeURIComponent(options.user)}:${encodeURIComponent(options.password ?? '')}@` : '';
  return {
    port: port!,
    url: `rtsp://${auth}127.0.0.1:${port}${path}`,
    stall: () => command('stall'),
    resume: () => command('resume'),
    setSize: (size) => command(`size ${size}`),
    stop,
    start,
    [Symbol.asyncDispose]: stop,
  };
}

/** A fresh RTSP client (ffmpeg), started now: when its first decoded frame arrived. */
export interface FirstFrameClient extends AsyncDisposable {
  /** Date.now() when the first byte of the first decoded frame reached us. */
  readonly firstFrameAtMs: Promise<number>;
}

/**
 * Starts one ffmpeg that opens `url` with `inputArgs` (the options a client chooses: transport,
 * analysis) and decodes one frame to a pipe, no filter: the independent measure of when the
 * server can deliver a frame to anyone who asks.
 */
export function startFirstFrameClient(url: string, inputArgs: readonly string[]): FirstFrameClient {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...inputArgs, '-i', url];
  args.push('-an', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const firstFrameAtMs = new Promise<number>((resolve, reject) => {
    child.stdout.once('data', () => resolve(Date.now()));
    child.stdout.resume();
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`the fresh client ended (code ${code}) before a frame: ${stderr}`)));
  });
  firstFrameAtMs.catch(() => undefined);
  return {
    firstFrameAtMs,
    [Symbol.asyncDispose]: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGKILL');
      await closed;
    },
  };
}
