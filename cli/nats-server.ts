import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { renderNatsAuthorization } from '../proto/index.js';
import type { NatsUser } from '../proto/index.js';

export interface NatsServerOptions {
  /** JetStream store folder; also holds the ports file. */
  readonly storeDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** JetStream domain, if any. */
  readonly name?: string;
  readonly startTimeoutMs?: number;
  /** Users and their permissions; without them the server accepts anyone. */
  readonly users?: readonly NatsUser[];
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

export const NATS_INSTALL_HINT = 'apt-get install -y nats-server';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function readPortsFile(dir: string, pid: number): Promise<number | undefined> {
  const file = (await readdir(dir)).find((f) => f.endsWith(`_${pid}.ports`));
  if (!file) return undefined;
  const ports = JSON.parse(await readFile(join(dir, file), 'utf8')) as { nats?: string[] };
  const url = ports.nats?.[0];
  return url ? Number(new URL(url).port) : undefined;
}

/** Stops a child process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Starts nats-server with JetStream on 127.0.0.1 and waits until it accepts connections. */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerHandle> {
  await mkdir(options.storeDir, { recursive: true });
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    options.port === 0 ? '-1' : String(options.port),
    '-js',
    '-sd',
    options.storeDir,
  ];
  args.push('--ports_file_dir', options.storeDir, '-n', options.name ?? 'zebra');
  if (options.users) {
    const configFile = join(options.storeDir, 'auth.conf');
    await writeFile(configFile, renderNatsAuthorization(options.users), { mode: 0o600 });
    args.push('-c', configFile);
  }
  const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new Error(`cannot start nats-server (${err.message}); install it with: ${NATS_INSTALL_HINT}`)),
    );
    child.once('exit', (code) => reject(new Error(`nats-server exited with code ${code}: ${stderr.trim()}`)));
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  const ready = (async () => {
    while (Date.now() < deadline) {
      const port = options.port || (await readPortsFile(options.storeDir, child.pid!));
      if (port && (await portOpen(port))) return port;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `nats-server did not accept connections within ${options.startTimeoutMs ?? 15_000} ms: ${stderr.trim()}`,
    );
  })();
  try {
    const port = await Promise.race([ready, failed]);
    return { url: `nats://127.0.0.1:${port}`, port, process: child, stop: () => stopProcess(child) };
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
}
