import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { spawn } from 'node:child_process';
import type { CheckTarget } from '../config';
import { CheckFailure, dnsTcp, dnsUdp } from './dns';

/** HTTP(S) GET: passes on a 2xx or 3xx status. */
export function httpProbe(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : request)(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      const s = res.statusCode ?? 0;
      if (s >= 200 && s < 400) resolve();
      else reject(new CheckFailure(`HTTP status ${s}`));
    });
    req.on('timeout', () => req.destroy(new CheckFailure(`no HTTP answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof CheckFailure ? err : new CheckFailure(`http: ${err.message}`)));
    req.end();
  });
}

/** TCP connect: passes when the connection is accepted. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host, port });
    const timer = setTimeout(() => { sock.destroy(); reject(new CheckFailure(`connect timed out after ${timeoutMs} ms`)); }, timeoutMs);
    sock.on('connect', () => { clearTimeout(timer); sock.destroy(); resolve(); });
    sock.on('error', (err) => { clearTimeout(timer); reject(new CheckFailure(`tcp: ${err.message}`)); });
  });
}

/** Runs a shell command: passes on exit status 0; killed after the timeout. */
export function execProbe(command: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', detached: true });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      reject(new CheckFailure(`command timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(new CheckFailure(`exec: ${err.message}`)); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new CheckFailure(signal ? `killed by ${signal}` : `exit status ${code}`));
    });
  });
}

/** Runs one probe of any kind. */
export async function probe(t: CheckTarget, timeoutMs: number): Promise<void> {
  switch (t.kind) {
    case 'dns':
      await dnsUdp(t, timeoutMs);
      if (t.tcp) await dnsTcp(t, timeoutMs);
      return;
    case 'http': return httpProbe(t.url, timeoutMs);
    case 'tcp': return tcpProbe(t.host, t.port, timeoutMs);
    case 'exec': return execProbe(t.command, timeoutMs);
  }
}
