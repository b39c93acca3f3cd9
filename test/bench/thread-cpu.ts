import { readFileSync, readdirSync } from 'node:fs';

/** CPU ms from a /proc stat line: utime + stime (fields 14 and 15), plus cutime + cstime (16, 17) when asked. */
function statCpuMs(path: string, withChildren: boolean): number {
  try {
    const stat = readFileSync(path, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
    return ticks * 10; // clock ticks of 10 ms (USER_HZ 100)
  } catch {
    return 0;
  }
}

/** Where this process's CPU went, in ms: by thread, and its children (ffmpeg decoders and encoders, once reaped). */
export interface CpuSplit {
  readonly totalMs: number;
  readonly mainMs: number;
  readonly personsMs: number;
  readonly facesMs: number;
  /** Every other thread: libuv pool (sharp's JPEG encoding, file writes), GC, the JIT. */
  readonly otherThreadsMs: number;
  /** Children that have exited and been waited for. */
  readonly childrenMs: number;
}

/** Reads the split now; subtract two readings for an interval. Linux only (zeros elsewhere). */
export function readCpuSplit(threads: {
  readonly persons: readonly number[];
  readonly faces: readonly number[];
}): CpuSplit {
  const self = statCpuMs('/proc/self/stat', false);
  const withChildren = statCpuMs('/proc/self/stat', true);
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    // not Linux
  }
  const threadMs = (tid: number | string): number => statCpuMs(`/proc/self/task/${tid}/stat`, false);
  const mainMs = threadMs(process.pid);
  const personsMs = threads.persons.reduce((sum, t) => sum + threadMs(t), 0);
  const facesMs = threads.faces.filter((t) => !threads.persons.includes(t)).reduce((sum, t) => sum + threadMs(t), 0);
  // Threads that ended (workers restarted) are no longer listed, but their time stays in the process total.
  const listed = tids.reduce((sum, t) => sum + threadMs(t), 0);
  return {
    totalMs: withChildren,
    mainMs,
    personsMs,
    facesMs,
    otherThreadsMs: Math.max(0, listed - mainMs - personsMs - facesMs) + Math.max(0, self - listed),
    childrenMs: withChildren - self,
  };
}

export function cpuSince(before: CpuSplit, after: CpuSplit): CpuSplit {
  return {
    totalMs: after.totalMs - before.totalMs,
    mainMs: after.mainMs - before.mainMs,
    personsMs: after.personsMs - before.personsMs,
    facesMs: after.facesMs - before.facesMs,
    otherThreadsMs: after.otherThreadsMs - before.otherThreadsMs,
    childrenMs: after.childrenMs - before.childrenMs,
  };
}
