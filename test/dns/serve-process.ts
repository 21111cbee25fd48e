/** Starts `anypick serve` as a real process on a free port and queries it with dig. */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/ports';

export const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');

/** A running `anypick serve` child. */
export interface ServeProcess {
  child: ChildProcess;
  port: number;
  /** stderr lines so far (pino JSON). */
  logs: string[];
  /** Resolves when a log line matches, rejects after `ms`. */
  waitForLog(re: RegExp, ms?: number, from?: number): Promise<string>;
  stop(): Promise<number | null>;
}

/**
 * Spawns `serve ARGS --dns 127.0.0.1:0` (the kernel picks the port; read back from the
 * 'dns listening' log line). When `args` is a function of the port, the port is chosen first
 * (free on 127.0.0.1 and ::1) so the arguments can name it, retrying if it was taken meanwhile.
 */
export async function startServe(args: string[] | ((port: number) => string[]), opts: { cpu?: string } = {}): Promise<ServeProcess> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const fixed = typeof args === 'function' ? await freePort(['127.0.0.1', '::1']) : 0;
    const argv = [MAIN, 'serve', ...(typeof args === 'function' ? args(fixed) : args), '--dns', `127.0.0.1:${fixed}`];
    const child = opts.cpu ? spawn('taskset', ['-c', opts.cpu, process.execPath, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    const logs: string[] = [];
    const waiters: Array<() => void> = [];
    let buf = '';
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        logs.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const w of waiters.splice(0)) w();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => { for (const w of waiters.splice(0)) w(); r(code); }));
    const waitForLog = (re: RegExp, ms = 10000, from = 0): Promise<string> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no log line matching ${re} within ${ms} ms; logs:\n${logs.join('\n')}`)), ms);
        const check = (): void => {
          const hit = logs.slice(from).find((l) => re.test(l));
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`server exited (${child.exitCode}) before ${re}; logs:\n${logs.join('\n')}`));
          } else waiters.push(check);
        };
        check();
      });
    const stop = async (): Promise<number | null> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    };
    try {
      await waitForLog(/"msg":"serving"/, 20000);
      const bound = logs.map((l) => { try { return JSON.parse(l) as { msg?: string; host?: string; port?: number }; } catch { return {}; } })
        .find((l) => l.msg === 'dns listening (udp, tcp)' && l.host === '127.0.0.1');
      if (!bound?.port) throw new Error(`no 'dns listening' line for 127.0.0.1; logs:\n${logs.join('\n')}`);
      return { child, port: bound.port, logs, waitForLog, stop };
    } catch (err) {
      await stop();
      if (logs.some((l) => /EADDRINUSE/.test(l)) || /EADDRINUSE/.test(String(err))) continue;
      throw err;
    }
  }
  throw new Error('no free port found for anypick serve');
}

/** Runs dig against the server; resolves to its stdout. */
export function dig(port: number, ...args: string[]): Promise<string> {
  return digAt('127.0.0.1', port, ...args);
}

/** Runs dig against `server` (an address on loopback). */
export function digAt(server: string, port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', [`@${server}`, '-p', String(port), '+time=2', '+tries=1', ...args], (err, stdout) => {
      if (err && !stdout) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(stdout);
    });
  });
}
