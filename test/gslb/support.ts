import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, copyFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../geo/support';
import { seedExample } from '../support/seed';

/** The CLI entry point tests spawn. */
export const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** Seed example 3 (examples/seed/), copied at test time exactly as written. */
export const SEED_EXAMPLE_3 = seedExample(3);

/** A minimal example.com zone: the datacenter pick answers its apex. */
export const EXAMPLE_ZONE = `$ORIGIN example.com.
$TTL 300
@  SOA ns1 hostmaster ( 2026112501 2h 30m 2w 5m )
   NS  ns1
ns1  A  127.0.0.1
`;

/** A datacenter pick with IPv4 and IPv6 targets, explicit location for one member. */
export const DUAL_STACK_DELIVERY = `service dual:
  listen "https://gslb.example.com"
  next-hop-strategy:
    dynamic: internet-location-then-dynamic-weight
  next-hop-members:
    west 10 dyn 192.0.2.10/24
    west 10 dyn "gslb.example.com AAAA IN 30 2001:db8:ae21:7700::10/56"
    europe 10 dyn 198.51.100.10/24
    asia 10 dyn 100.64.3.10/24 location 35.7,139.7
`;

/** Makes a directory with the zone, seed example 3 and (optionally) more delivery files. */
export function makeDeliveryDir(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'anypick-gslb-'));
  writeFileSync(join(dir, 'example.com.zone'), EXAMPLE_ZONE);
  copyFileSync(SEED_EXAMPLE_3, join(dir, '3-datacenter-pick.delivery'));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A running `anypick serve` on a port-0 socket. */
export interface Served {
  proc: ChildProcess;
  port: number;
  /** Everything the server logged so far (pino JSON lines on stderr). */
  logs(): string;
  stop(): Promise<void>;
}

/** Spawns `anypick serve ARGS --dns 127.0.0.1:0` and resolves once it logs its port. */
export function serve(args: string[], host = '127.0.0.1', listeners = 1): Promise<Served & { pids: number[] }> {
  const proc = spawn(process.execPath, [MAIN, 'serve', ...args, '--dns', host.includes(':') ? `[${host}]:0` : `${host}:0`, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const stop = (): Promise<void> => new Promise((done) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return done();
    proc.once('exit', () => done());
    proc.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void stop(); reject(new Error(`serve did not start:\n${stderr}`)); }, 10_000);
    proc.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const up = stderr.split('\n').filter((l) => l.includes('dns listening')).map((l) => JSON.parse(l) as { port: number; pid: number });
      if (up.length < listeners) return;
      clearTimeout(timer);
      resolve({ proc, port: up[0].port, pids: up.map((u) => u.pid), logs: () => stderr, stop });
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}:\n${stderr}`)); });
  });
}

/** Runs a command and resolves with its stdout (rejects with stderr on failure). */
export function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** One dig answer: the addresses and the ECS option line (`10.3.0.0/24/16`), if any. */
export async function dig(port: number, name: string, type: string, opts: { subnet?: string; source?: string; server?: string; nocookie?: boolean } = {}): Promise<{ addresses: string[]; ecs?: string; status: string; ttl?: number }> {
  const args = [`@${opts.server ?? '127.0.0.1'}`, '-p', String(port), name, type, '+norec', '+tries=3', '+time=2'];
  // Without a (random) client cookie, repeated digs send the same bytes but for the ID.
  if (opts.nocookie) args.push('+nocookie');
  if (opts.subnet) args.push(`+subnet=${opts.subnet}`);
  if (opts.source) args.push('-b', opts.source);
  const r = await run('dig', args);
  if (r.code !== 0) throw new Error(`dig failed: ${r.stdout}${r.stderr}`);
  const answers = r.stdout.split('\n').filter((l) => /^\S+\s+\d+\s+IN\s+(A|AAAA)\s/.test(l));
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? '?';
  const ecs = /CLIENT-SUBNET: (\S+)/.exec(r.stdout)?.[1];
  return { addresses: answers.map((l) => l.trim().split(/\s+/)[4]), ecs, status, ttl: answers.length ? Number(answers[0].split(/\s+/)[1]) : undefined };
}

/** Removes a test directory. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
