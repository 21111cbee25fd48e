import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Repository root (tests run from dist/test/...). */
export const ROOT = join(__dirname, '..', '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** A running `anypick` child process. */
export interface Child {
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Spawns `anypick ARGS…` and resolves once stdout contains `ready` (or rejects on exit/timeout). */
export function anypick(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}, timeoutMs = 15000): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d.toString()));
  proc.stderr!.on('data', (d) => (out += d.toString()));
  const child: Child = {
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const k = setTimeout(() => proc.kill('SIGKILL'), 3000);
        proc.once('exit', () => {
          clearTimeout(k);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`anypick ${args.join(' ')}: not ready in time:\n${out}`));
    }, timeoutMs);
    const check = (): void => {
      if (ready.test(out)) {
        clearTimeout(t);
        resolve(child);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`anypick ${args.join(' ')} exited with ${code}:\n${out}`));
    });
  });
}

/** Polls `fn` until it returns a truthy value or `ms` passes; resolves with the value (or throws with `what`). */
export async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
