import { readFileSync } from 'node:fs';

/** CPU time a process has used so far, in ms (user + system, all its threads); 0 where /proc is missing. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU used by this process (every thread: main, workers, the JIT and GC) and by another. */
export interface CpuMeter {
  /** CPU ms of this process and of the other one since the meter started. */
  read(): { readonly selfMs: number; readonly otherMs: number };
}

export function startCpuMeter(otherPid: number): CpuMeter {
  const self0 = process.cpuUsage();
  const other0 = processCpuMs(otherPid);
  return {
    read() {
      const { user, system } = process.cpuUsage(self0);
      return { selfMs: (user + system) / 1000, otherMs: processCpuMs(otherPid) - other0 };
    },
  };
}
