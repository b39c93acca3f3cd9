import { spawnSync } from 'node:child_process';

/** A command-line tool zebra needs and the Debian package that provides it. */
interface Tool {
  readonly command: string;
  readonly versionArg: string;
  readonly aptPackage: string;
}

const DEMO_TOOLS: readonly Tool[] = [
  { command: 'nats-server', versionArg: '--version', aptPackage: 'nats-server' },
  { command: 'ffmpeg', versionArg: '-version', aptPackage: 'ffmpeg' },
  { command: 'ffprobe', versionArg: '-version', aptPackage: 'ffmpeg' },
];

function isInstalled(tool: Tool): boolean {
  return spawnSync(tool.command, [tool.versionArg], { stdio: 'ignore' }).status === 0;
}

/** The demo's tools plus the browser the console tests drive. */
const TEST_TOOLS: readonly Tool[] = [
  ...DEMO_TOOLS,
  { command: 'chromium', versionArg: '--version', aptPackage: 'chromium' },
];

/**
 * Makes sure nats-server and ffmpeg (and, with `forTests`, chromium) are installed. Installs
 * them with apt-get when running as root on a Debian-like system (unless ZEBRA_NO_APT=1);
 * otherwise throws with the exact command.
 */
export function ensureDemoTools(log: (line: string) => void, forTests = false): void {
  const missing = (forTests ? TEST_TOOLS : DEMO_TOOLS).filter((t) => !isInstalled(t));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.aptPackage))];
  const command = `apt-get install -y ${packages.join(' ')}`;
  const canApt =
    process.getuid?.() === 0 &&
    process.env.ZEBRA_NO_APT !== '1' &&
    spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canApt) {
    throw new Error(`missing ${missing.map((t) => t.command).join(', ')}; install with: sudo ${command}`);
  }
  log(`installing ${packages.join(', ')} with apt-get (set ZEBRA_NO_APT=1 to stop this)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...packages],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed; install by hand with: sudo ${command}`);
  }
}
