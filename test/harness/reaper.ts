import { readFile, readdir } from 'node:fs/promises';

/**
 * Every process a test run starts carries this variable (set by the global setup, inherited by
 * the test workers and everything they spawn), so the run can find what its tests left behind
 * — after a failure or a timeout, when a test's own cleanup never ran.
 */
export const TEST_RUN_ENV = 'ZEBRA_TEST_RUN';

export interface RunProcess {
  readonly pid: number;
  readonly parentPid: number;
  readonly command: string;
}

async function readProc(pid: number): Promise<{ environ: string; stat: string; cmdline: string } | undefined> {
  try {
    const [environ, stat, cmdline] = await Promise.all(
      ['environ', 'stat', 'cmdline'].map((f) => readFile(`/proc/${pid}/${f}`, 'utf8')),
    );
    return { environ: environ!, stat: stat!, cmdline: cmdline! };
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** The state letter of `pid` from /proc (R, S, D, Z, ...), or undefined once it is gone. */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** Whether `pid` still runs: a zombie (exited, not yet reaped by its parent) does not. */
export async function isRunning(pid: number): Promise<boolean> {
  const state = await processState(pid);
  return state !== undefined && state !== 'Z';
}

/** The live processes whose environment holds `TEST_RUN_ENV=runId` (Linux /proc). */
export async function processesOfRun(runId: string): Promise<RunProcess[]> {
  const marker = `${TEST_RUN_ENV}=${runId}`;
  const found: RunProcess[] = [];
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const proc = await readProc(pid);
    if (!proc || !proc.environ.split('\0').includes(marker)) continue;
    // stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const [state, ppid] = proc.stat.slice(proc.stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') continue; // exited; a zombie holds nothing but its pid
    const parentPid = Number(ppid);
    found.push({ pid, parentPid, command: proc.cmdline.split('\0').join(' ').trim().slice(0, 160) });
  }
  return found;
}

/**
 * SIGKILLs what the run's tests left: every process of the run but the caller and its direct
 * children (the test runner's own workers). Returns what it killed.
 */
export async function reapRun(runId: string): Promise<RunProcess[]> {
  const left = (await processesOfRun(runId)).filter((p) => p.parentPid !== process.pid);
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left;
}
