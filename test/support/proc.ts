/** CPU time of running processes from /proc (benchmarks: CPU per request or query). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** USER_HZ of /proc/PID/stat (100 on Linux). */
const CLOCK_TICKS = 100;

/** User and system CPU seconds of `pid` and its child processes so far (/proc/PID/stat). */
export function cpuSeconds(pid: number | undefined): { user: number; sys: number } {
  const out = { user: 0, sys: 0 };
  if (pid === undefined) return out;
  let pids = [pid];
  try {
    pids = pids.concat(execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0));
  } catch {
    /* no children */
  }
  for (const p of pids) {
    try {
      // Fields after the command name: state is 3rd, utime 14th, stime 15th (proc(5)).
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      out.user += Number(f[11]) / CLOCK_TICKS;
      out.sys += Number(f[12]) / CLOCK_TICKS;
    } catch {
      /* gone */
    }
  }
  return out;
}
