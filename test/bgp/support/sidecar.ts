import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Topology } from './netns';
import type { AnnouncerStatus } from '../../../src/bgp/status';

/** Repository root (from dist/test/bgp/support). */
export const ROOT = join(__dirname, '..', '..', '..', '..');
/** The CLI entry point the tests spawn. */
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Seed example 4 with the checks, prefixes and timers the interop tests need. */
export function extendedConfig(opts: { intervalMs?: number; timeoutMs?: number; holdTime?: number; drain?: string; neighbor?: string[] } = {}): string {
  return `process dns:
  run systemd.bind9.service
  listen: 2001:db8::53

process announce-routes:
  dns:
    check: dns
    interval: ${opts.intervalMs ?? 200}ms
    timeout: ${opts.timeoutMs ?? 150}ms
    rise: 2
    fall: 2
  routes neighbor 2001:db8:0478:2853::5353
    local-address 2001:db8:c001:e453::5353;
    local-asn 64511;
    peer-asn 65536;
    hold-time ${opts.holdTime ?? 90};
${(opts.neighbor ?? []).map((l) => `    ${l}\n`).join('')}  prefix: 2001:db8::53/128
  prefix: 192.0.2.53/32
  drain: ${opts.drain ?? '1s'}
  bgp: announce-routes.dns
`;
}

/** A temporary directory holding one delivery file. */
export function configDir(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bgp-cfg-'));
  writeFileSync(join(dir, 'anycast-dns.delivery'), text);
  return dir;
}

/** `anypick serve` answering SOA for example.com on [2001:db8::53]:53 inside the speaker namespace. */
export function startDns(t: Topology): ChildProcess {
  return t.spawn(t.spk, 'node', [CLI, 'serve', join(ROOT, 'zones', 'example.com.zone'), '--dns', '[2001:db8::53]:53', '--geoip-db', 'none', '--log-level', 'warn']);
}

/** Waits until a child exits (or the timeout passes); resolves to its exit code or signal. */
export function exited(c: ChildProcess, timeoutMs = 10000): Promise<number | string | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode ?? c.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    c.once('exit', (code, sig) => { clearTimeout(timer); resolve(code ?? sig); });
  });
}

/** The `anypick bgp` sidecar running in the speaker namespace, with its log kept. */
export class Sidecar {
  readonly child: ChildProcess;
  log = '';

  constructor(private readonly t: Topology, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
    this.child = t.spawn(t.spk, 'node', [CLI, 'bgp', ...args, '--log-level', 'debug'], opts);
    this.child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
  }

  /** GET /status on 127.0.0.1:PORT inside the namespace (via curl). */
  status(port: number): AnnouncerStatus | undefined {
    try {
      const out = this.t.exec(this.t.spk, 'curl', '-s', '--max-time', '2', `http://127.0.0.1:${port}/status`);
      return (JSON.parse(out) as { announcers: AnnouncerStatus[] }).announcers[0];
    } catch {
      return undefined;
    }
  }
}

/** Removes a directory made by configDir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
