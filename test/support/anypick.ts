import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The CLI entry of the built tree. */
export const MAIN = join(__dirname, '..', '..', 'src', 'cli', 'main.js');

/** A spawned `anypick` process with its pino log lines. */
export interface AnypickProcess {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  /** Resolves with the first log line `pred` accepts (also one logged before the call). */
  waitFor(pred: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `node dist/src/cli/main.js ARGS…` and collects its JSON log lines from stderr. */
export function spawnAnypick(args: string[]): AnypickProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buf = '';
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w();
    r(code);
  }));
  return {
    child,
    logs,
    waitFor: (pred, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${ms} ms:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)), ms);
        const check = (): void => {
          const hit = logs.find(pred);
          if (hit) {
            clearTimeout(timer);
            resolve(hit);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`exited ${child.exitCode}:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
          } else waiters.push(check);
        };
        check();
      }),
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** Starts `anypick serve DIR` on port 0 everywhere and resolves with the bound DNS, signals and HTTP ports. */
export async function serveWithPorts(args: string[]): Promise<{ proc: AnypickProcess; dns: number; signals?: number; http: number }> {
  const proc = spawnAnypick(['serve', ...args, '--dns', '127.0.0.1:0', '--http', '127.0.0.1:0']);
  const dns = (await proc.waitFor((l) => l.msg === 'dns listening (udp, tcp)')).port as number;
  const http = ((await proc.waitFor((l) => l.msg === 'telemetry HTTP listening')).address as { port: number }).port;
  const sig = args.includes('--signals') ? proc.waitFor((l) => l.msg === 'OTLP signals receiver listening') : undefined;
  const signals = sig ? ((await sig).address as { port: number }).port : undefined;
  return { proc, dns, signals, http };
}
