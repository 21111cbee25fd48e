/**
 * A real `anypick serve` process for the ops tests: started on port-0 loopback addresses, its
 * bound ports read from its pino log lines, stopped with SIGTERM (SIGKILL if it hangs).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';

/** The built CLI. */
export const MAIN = `${__dirname}/../../src/cli/main.js`;

/** A running serve with the ports it bound. */
export interface ServeProcess {
  child: ChildProcess;
  dnsPort: number;
  httpPort: number;
  /** The OTLP receiver's port (only when tokens were given). */
  signalsPort?: number;
  stop(): Promise<void>;
}

/** Starts `anypick serve ARGS… --dns 127.0.0.1:0 --http 127.0.0.1:0 --signals 127.0.0.1:0`. */
export function startServe(args: string[], env: NodeJS.ProcessEnv, withSignals: boolean, timeoutMs = 15000): Promise<ServeProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', ...args, '--dns', '127.0.0.1:0', '--http', '127.0.0.1:0', '--signals', '127.0.0.1:0', '--log-level', 'info'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stop = (): Promise<void> => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const ports: Partial<Record<'dns' | 'http' | 'signals', number>> = {};
    let log = '';
    let settled = false;
    const fail = (why: string): void => { settled = true; void stop(); reject(new Error(`${why}\n${log}`)); };
    const timer = setTimeout(() => fail('anypick serve did not report its ports in time'), timeoutMs);
    const early = (code: number | null): void => { clearTimeout(timer); fail(`anypick serve exited with ${code}`); };
    child.once('exit', early);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (!settled) log += chunk;
      for (const line of chunk.split('\n')) {
        let rec: { msg?: string; port?: number; address?: { port: number } };
        try { rec = JSON.parse(line); } catch { continue; }
        if (rec.msg === 'dns listening (udp, tcp)') ports.dns = rec.port;
        if (rec.msg === 'telemetry HTTP listening') ports.http = rec.address?.port;
        if (rec.msg === 'OTLP signals receiver listening') ports.signals = rec.address?.port;
      }
      if (!settled && ports.dns && ports.http && (!withSignals || ports.signals)) {
        settled = true;
        clearTimeout(timer);
        child.off('exit', early);
        resolve({ child, dnsPort: ports.dns, httpPort: ports.http, signalsPort: ports.signals, stop });
      }
    });
  });
}

/** Sends one UDP query to 127.0.0.1:`port` and resolves with the decoded reply. */
export function query(port: number, name: string, type: 'A' | 'AAAA' | 'SOA'): Promise<packet.Packet> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); reject(new Error(`no reply to ${name} ${type}`)); }, 3000);
    sock.on('message', (msg) => { clearTimeout(timer); sock.close(); resolve(packet.decode(msg)); });
    sock.send(packet.encode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }), port, '127.0.0.1');
  });
}
