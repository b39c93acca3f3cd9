import { execFile } from 'node:child_process';
import type { Logger } from '../logger.js';
import { parseAdjtimex, parseChronyCsv, parseTimedatectlShow } from './parse.js';
import type { SystemClockStatus } from './parse.js';

/** Which tool to ask; "auto" tries chrony, then timedatectl (systemd-timesyncd), then adjtimex. */
export type ClockSourceChoice = 'auto' | 'chrony' | 'timedatectl' | 'adjtimex';

export interface SystemClockOptions {
  readonly source: ClockSourceChoice;
  /** A system clock further than this from its reference (as chrony reports it) is unsynced. */
  readonly maxOffsetMs: number;
  /** chronyc's `-h`: the daemon's command socket (a path) or host; chronyc's default otherwise. */
  readonly chronySocket?: string;
  /** The tools' paths (default: found on PATH). */
  readonly tools?: { readonly chronyc?: string; readonly timedatectl?: string; readonly adjtimex?: string };
  /** Longest one tool may take to answer. */
  readonly timeoutMs?: number;
}

type Outcome = { ok: true; stdout: string } | { ok: false; isMissing: boolean; detail: string };

function run(file: string, args: string[], timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout });
      const code = (err as NodeJS.ErrnoException).code;
      const said = `${stderr}\n${stdout}`.trim().split('\n')[0];
      resolve({
        ok: false,
        isMissing: code === 'ENOENT',
        detail:
          code === 'ENOENT' ? 'not installed' : said || (err.killed ? `no answer in ${timeoutMs} ms` : err.message),
      });
    });
  });
}

interface Tool {
  readonly name: 'chrony' | 'timedatectl' | 'adjtimex';
  ask(options: SystemClockOptions, timeoutMs: number): Promise<Outcome>;
  parse(stdout: string, options: SystemClockOptions): SystemClockStatus;
}

const TOOLS: readonly Tool[] = [
  {
    name: 'chrony',
    ask: (o, t) =>
      run(
        o.tools?.chronyc ?? 'chronyc',
        [...(o.chronySocket ? ['-h', o.chronySocket] : []), '-n', '-c', 'tracking'],
        t,
      ),
    parse: (stdout, o) => parseChronyCsv(stdout, o.maxOffsetMs),
  },
  {
    name: 'timedatectl',
    ask: (o, t) => run(o.tools?.timedatectl ?? 'timedatectl', ['show'], t),
    parse: (stdout) => parseTimedatectlShow(stdout),
  },
  {
    name: 'adjtimex',
    ask: (o, t) => run(o.tools?.adjtimex ?? 'adjtimex', ['-p'], t),
    parse: (stdout) => parseAdjtimex(stdout),
  },
];

/**
 * Asks the system whether its clock is synchronised: chrony (`chronyc -c tracking`), then
 * systemd-timesyncd (`timedatectl show`), then the kernel (`adjtimex -p`, STA_UNSYNC), the
 * first that answers; with `source` set, only that one. Never throws: no answer is "unknown".
 */
export async function readSystemClock(options: SystemClockOptions): Promise<SystemClockStatus> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const tools = options.source === 'auto' ? TOOLS : TOOLS.filter((t) => t.name === options.source);
  const tried: string[] = [];
  for (const tool of tools) {
    const outcome = await tool.ask(options, timeoutMs);
    if (outcome.ok) return tool.parse(outcome.stdout, options);
    tried.push(`${tool.name}: ${outcome.detail}`);
  }
  if (options.source !== 'auto') return { state: 'unknown', source: options.source, detail: tried.join('; ') };
  return { state: 'unknown', source: 'none', detail: `unknown: no time daemon found (${tried.join('; ')})` };
}

/** Metric hooks for the monitor (a gauge per state and source). */
export interface ClockMetrics {
  readonly systemClock: { set(labels: { source: string; state: string }, value: number): void };
}

/** The system clock's status, read now and then every `pollIntervalMs`. */
export class SystemClockMonitor {
  #status: SystemClockStatus;
  #checkedAtMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #options: SystemClockOptions & { readonly pollIntervalMs: number };
  readonly #logger: Logger;
  readonly #metrics: ClockMetrics | undefined;

  private constructor(
    options: SystemClockOptions & { readonly pollIntervalMs: number },
    first: SystemClockStatus,
    logger: Logger,
    metrics: ClockMetrics | undefined,
  ) {
    this.#options = options;
    this.#status = first;
    this.#checkedAtMs = Date.now();
    this.#logger = logger;
    this.#metrics = metrics;
    this.#report(undefined);
    this.#schedule();
  }

  /** Reads once (so the first frame already knows), then polls. */
  static async start(
    options: SystemClockOptions & { readonly pollIntervalMs: number },
    logger: Logger,
    metrics?: ClockMetrics,
  ): Promise<SystemClockMonitor> {
    return new SystemClockMonitor(options, await readSystemClock(options), logger, metrics);
  }

  get status(): SystemClockStatus {
    return this.#status;
  }

  /** When the status was last read (device clock). */
  get checkedAtMs(): number {
    return this.#checkedAtMs;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void readSystemClock(this.#options).then((status) => {
        const before = this.#status;
        this.#status = status;
        this.#checkedAtMs = Date.now();
        this.#report(before);
        this.#schedule();
      });
    }, this.#options.pollIntervalMs);
    this.#timer.unref();
  }

  #report(before: SystemClockStatus | undefined): void {
    const now = this.#status;
    if (before && before.state === now.state && before.source === now.source) return;
    if (before) this.#metrics?.systemClock.set({ source: before.source, state: before.state }, 0);
    this.#metrics?.systemClock.set({ source: now.source, state: now.state }, 1);
    const fields = { state: now.state, source: now.source, detail: now.detail, offsetMs: now.offsetMs };
    if (now.state === 'synced') this.#logger.info(fields, 'system clock synchronised');
    else this.#logger.warn(fields, 'system clock not synchronised: enforcement on controller feeds is suspended');
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
