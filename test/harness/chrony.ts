import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../cli/nats-server.js';

const CHRONYD = '/usr/sbin/chronyd';

/** Fails with the package to install when chronyd is not there. */
export function requireChrony(): void {
  try {
    execFileSync(CHRONYD, ['--version'], { stdio: 'ignore' });
    execFileSync('chronyc', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('chronyd/chronyc not found: apt-get install -y chrony');
  }
}

/** A chronyd that never touches the system clock (-x), with its own config, socket and pid file. */
export interface TestChronyd extends AsyncDisposable {
  /** chronyc -h: its command socket. */
  readonly socket: string;
  stop(): Promise<void>;
}

export interface ChronydOptions {
  /** Serve NTP on 127.0.0.1 at this port from the local clock (`local stratum 8`). */
  readonly servePort?: number;
  /** Follow the NTP server at 127.0.0.1 on this port (polled 4 times a second). */
  readonly followPort?: number;
}

/** A UDP port for a test NTP server (free for TCP now; nothing else here binds UDP ports by chance). */
export async function freeNtpPort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** Starts chronyd -x in the foreground; dispose stops it and removes its folder. */
export async function startChronyd(options: ChronydOptions): Promise<TestChronyd> {
  requireChrony();
  const dir = await mkdtemp(join(tmpdir(), 'zebra-chrony-'));
  const socket = join(dir, 'chronyd.sock');
  const lines = [
    `bindcmdaddress ${socket}`,
    'cmdport 0',
    `pidfile ${join(dir, 'chronyd.pid')}`,
    options.servePort ? `local stratum 8\nallow 127.0.0.1\nbindaddress 127.0.0.1\nport ${options.servePort}` : 'port 0',
  ];
  if (options.followPort) lines.push(`server 127.0.0.1 port ${options.followPort} iburst minpoll -2 maxpoll -2`);
  const conf = join(dir, 'chrony.conf');
  await writeFile(conf, `${lines.join('\n')}\n`);
  // As root chronyd would drop to _chrony, who cannot use this folder: stay root. -U lets a
  // non-root user start it (it needs no privilege with -x).
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : ['-U'];
  const child: ChildProcess = spawn(CHRONYD, ['-x', '-d', '-f', conf, ...user], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  // Ready once chronyc can talk to it.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      execFileSync('chronyc', ['-h', socket, '-c', 'tracking'], { stdio: 'ignore' });
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`chronyd did not start: ${log.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { socket, stop, [Symbol.asyncDispose]: stop };
}
