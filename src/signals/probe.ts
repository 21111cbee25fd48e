import { exec } from 'node:child_process';
import { connect } from 'node:net';

/** A `--check` or `--utilization-cmd` that cannot be understood. */
export class CheckSpecError extends Error {
  override readonly name = 'CheckSpecError';
  readonly code = 'E_CHECK_SPEC';
}

/** A local readiness check: resolves to true when the member is ready. */
export type ReadyCheck = (timeoutMs: number) => Promise<boolean>;

function httpCheck(url: string): ReadyCheck {
  return async (timeoutMs) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await res.arrayBuffer();
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  };
}

function tcpCheck(host: string, port: number): ReadyCheck {
  return (timeoutMs) => new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Runs a shell command; resolves to its stdout, or undefined when it fails or times out. */
export function runCommand(cmd: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    exec(cmd, { timeout: timeoutMs, maxBuffer: 64 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/**
 * Parses `--check`: `http://…` / `https://…` (2xx = ready), `tcp:HOST:PORT` (connects = ready),
 * `exec:COMMAND` (exit status 0 = ready).
 */
export function parseCheck(spec: string): ReadyCheck {
  if (/^https?:\/\//.test(spec)) {
    try {
      new URL(spec);
    } catch {
      throw new CheckSpecError(`--check ${spec}: not a valid URL`);
    }
    return httpCheck(spec);
  }
  const tcp = /^tcp:(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(spec);
  if (tcp) {
    const port = Number(tcp[3]);
    if (port < 1 || port > 65535) throw new CheckSpecError(`--check ${spec}: port out of range`);
    return tcpCheck(tcp[1] ?? tcp[2]!, port);
  }
  if (spec.startsWith('exec:') && spec.length > 5) {
    const cmd = spec.slice(5);
    return async (timeoutMs) => (await runCommand(cmd, timeoutMs)) !== undefined;
  }
  throw new CheckSpecError(`--check ${spec}: want http://URL, tcp:HOST:PORT or exec:COMMAND`);
}

/** Reads utilization from a command's stdout: the first number, which must be within 0..1. */
export async function commandUtilization(cmd: string, timeoutMs: number): Promise<number | undefined> {
  const out = await runCommand(cmd, timeoutMs);
  if (out === undefined) return undefined;
  const v = Number(out.trim().split(/\s+/)[0]);
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
}

/**
 * Reads an errors report from a command's stdout: `COUNT TOTAL` (errors and requests since the
 * last round) or a single ratio within 0..1. Undefined when the command fails or prints neither.
 */
export async function commandErrors(cmd: string, timeoutMs: number): Promise<{ count: number; total: number } | { ratio: number } | undefined> {
  const out = await runCommand(cmd, timeoutMs);
  if (out === undefined) return undefined;
  const f = out.trim().split(/\s+/).map(Number);
  if (f.length >= 2 && f.slice(0, 2).every((n) => Number.isInteger(n) && n >= 0) && f[0]! <= f[1]! && f[1]! > 0) return { count: f[0]!, total: f[1]! };
  if (f.length === 1 && Number.isFinite(f[0]) && f[0]! >= 0 && f[0]! <= 1) return { ratio: f[0]! };
  return undefined;
}
