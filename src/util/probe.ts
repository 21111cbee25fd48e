/**
 * Local health probes — the one module behind the BGP announcer's `check: http|tcp|exec`
 * (src/bgp/check) and `anypick report --check` (src/signals/probe.ts).
 *
 * The pass rule, the same everywhere:
 * - **http(s)**: a GET answered with status 200–399 within the timeout passes. A redirect is
 *   an answer from a live server and is not followed (HAProxy's `httpchk` and Kubernetes'
 *   `httpGet` judge the same way); 1xx/4xx/5xx, no answer or a TLS/connection error fail.
 * - **tcp**: the connection is accepted within the timeout.
 * - **exec**: `/bin/sh -c COMMAND` exits with status 0 within the timeout; at the timeout its
 *   whole process group is killed and the probe fails.
 *
 * A probe resolves on a pass and rejects with a CheckFailure saying why it failed.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';

/** A probe that did not pass; the message says why (status, timeout, exit status…). */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
  readonly code = 'E_CHECK_FAILED';
}

/** The HTTP pass rule: 200–399. */
export function httpStatusPasses(status: number): boolean {
  return status >= 200 && status < 400;
}

/** HTTP(S) GET of `url`: passes on 200–399 (see the module comment). */
export function httpProbe(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : request)(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      const s = res.statusCode ?? 0;
      if (httpStatusPasses(s)) resolve();
      else reject(new CheckFailure(`HTTP status ${s}`));
    });
    req.on('timeout', () => req.destroy(new CheckFailure(`no HTTP answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof CheckFailure ? err : new CheckFailure(`http: ${err.message}`)));
    req.end();
  });
}

/** TCP connect to `host`:`port`: passes when the connection is accepted. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new CheckFailure(`connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve();
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(new CheckFailure(`tcp: ${err.message}`));
    });
  });
}

/** What a command run by `runCommand` did. */
export interface CommandResult {
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Standard output, at most 64 KiB. */
  stdout: string;
}

const MAX_STDOUT = 64 * 1024;

/** Runs `/bin/sh -c command`; at `timeoutMs` its process group is killed (`timedOut`). */
export function runCommand(command: string, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let stdout = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (stdout.length < MAX_STDOUT) stdout += d.slice(0, MAX_STDOUT - stdout.length);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, stdout });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout });
    });
  });
}

/** Runs a shell command: passes on exit status 0 within the timeout. */
export async function execProbe(command: string, timeoutMs: number): Promise<void> {
  const r = await runCommand(command, timeoutMs);
  if (r.timedOut) throw new CheckFailure(`command timed out after ${timeoutMs} ms`);
  if (r.code !== 0)
    throw new CheckFailure(r.signal ? `killed by ${r.signal}` : r.code === null ? 'exec: could not run /bin/sh' : `exit status ${r.code}`);
}
