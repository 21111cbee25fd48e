import { parseHostPort } from '../util/host-port';
import { execProbe, httpProbe, runCommand, tcpProbe } from '../util/probe';

/** A `--check` or `--utilization-cmd` that cannot be understood. */
export class CheckSpecError extends Error {
  override readonly name = 'CheckSpecError';
  readonly code = 'E_CHECK_SPEC';
}

/** A local readiness check: resolves to true when the member is ready. */
export type ReadyCheck = (timeoutMs: number) => Promise<boolean>;

const ready = (p: Promise<void>): Promise<boolean> => p.then(() => true, () => false);

/**
 * Parses `--check` into a local readiness check with the pass rule of src/util/probe.ts:
 * `http://…` / `https://…` (status 200–399), `tcp:HOST:PORT` (connection accepted; IPv6 in
 * brackets), `exec:COMMAND` (exit status 0).
 */
export function parseCheck(spec: string): ReadyCheck {
  if (/^https?:\/\//.test(spec)) {
    try {
      new URL(spec);
    } catch {
      throw new CheckSpecError(`--check ${spec}: not a valid URL`);
    }
    return (timeoutMs) => ready(httpProbe(spec, timeoutMs));
  }
  if (spec.startsWith('tcp:')) {
    let hp: { host: string; port: number };
    try {
      hp = parseHostPort(spec.slice(4), { names: true });
    } catch (err) {
      throw new CheckSpecError(`--check ${spec}: ${(err as Error).message}`);
    }
    return (timeoutMs) => ready(tcpProbe(hp.host, hp.port, timeoutMs));
  }
  if (spec.startsWith('exec:') && spec.length > 5) {
    const cmd = spec.slice(5);
    return (timeoutMs) => ready(execProbe(cmd, timeoutMs));
  }
  throw new CheckSpecError(`--check ${spec}: want http://URL, tcp:HOST:PORT or exec:COMMAND`);
}

/** A command's stdout when it exits 0 within the timeout, else undefined. */
async function commandOutput(cmd: string, timeoutMs: number): Promise<string | undefined> {
  const r = await runCommand(cmd, timeoutMs);
  return r.code === 0 && !r.timedOut ? r.stdout : undefined;
}

/** Reads utilization from a command's stdout: the first number, which must be within 0..1. */
export async function commandUtilization(cmd: string, timeoutMs: number): Promise<number | undefined> {
  const out = await commandOutput(cmd, timeoutMs);
  if (out === undefined) return undefined;
  const v = Number(out.trim().split(/\s+/)[0]);
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
}

/**
 * Reads an errors report from a command's stdout: `COUNT TOTAL` (errors and requests since the
 * last round) or a single ratio within 0..1. Undefined when the command fails or prints neither.
 */
export async function commandErrors(cmd: string, timeoutMs: number): Promise<{ count: number; total: number } | { ratio: number } | undefined> {
  const out = await commandOutput(cmd, timeoutMs);
  if (out === undefined) return undefined;
  const f = out.trim().split(/\s+/).map(Number);
  if (f.length >= 2 && f.slice(0, 2).every((n) => Number.isInteger(n) && n >= 0) && f[0]! <= f[1]! && f[1]! > 0) return { count: f[0]!, total: f[1]! };
  if (f.length === 1 && Number.isFinite(f[0]) && f[0]! >= 0 && f[0]! <= 1) return { ratio: f[0]! };
  return undefined;
}
