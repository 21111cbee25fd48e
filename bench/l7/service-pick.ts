/**
 * `npm run bench:l7`: requests/s and p99 added latency of the service pick (`anypick proxy
 * --cluster`) versus a direct connection and versus HAProxy (Debian `haproxy`) with equivalent
 * weights, all driven by the same load generator (autocannon) in one run.
 *
 * Each target first runs at full load (BENCH_CONNECTIONS connections for BENCH_SECONDS s); then
 * every target runs at half of the service pick's measured maximum rate, and the added p99 is
 * that target's p99 minus the direct connection's p99 at the same rate. Only loopback is used.
 * Figures are printed, never asserted: the machine is shared and noisy.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface Tracker {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, r: AutocannonResult) => void) => Tracker;
const autocannon = require('autocannon') as Autocannon;

/** A run: autocannon's result plus latency percentiles from every response time (µs precision). */
interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function once(opts: Record<string, unknown>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    // autocannon's own histogram has 1 ms resolution; response times come with µs precision.
    const t = autocannon(opts, (err, r) => {
      if (err) return reject(err);
      const sorted = Float64Array.from(times).sort();
      resolve({ rps: r.requests.average, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), non2xx: r.non2xx, errors: r.errors + r.timeouts });
    });
    t.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
}

const ROOT = join(__dirname, '..', '..', '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function start(cmd: string, args: string[], ready: RegExp | undefined): Promise<ChildProcess> {
  const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (ready ? reject(new Error(`${cmd} not ready:\n${out}`)) : resolve(p)), ready ? 10_000 : 1000);
    const on = (d: Buffer): void => {
      out += d.toString();
      if (ready?.test(out)) {
        clearTimeout(t);
        resolve(p);
      }
    };
    p.stdout!.on('data', on);
    p.stderr!.on('data', on);
    p.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${cmd} exited ${code}:\n${out}`));
    });
  });
}

function delivery(b1: number, b2: number): string {
  return `delivery bench
  publish:
    presence @availability as otel.event
    readiness @availability as otel.event
  subscribe:
    presence @availability to membership
    readiness @availability to dynamic-weight
  datacenter-pick-service my-service:
    listen: "http://example.com"
    next-hop-strategy:
      dynamic: internet-location-then-dynamic-weight
    next-hop-members:
      dynamic: membership.my-service.datacenter
    datacenter-1
      cluster-pick-service:
        my-service:
          next-hop-strategy:
            dynamic: internet-location-then-dynamic-weight
          next-hop-members:
            dynamic: membership.my-service.cluster
        cluster-1
          service-pick-service:
            list my-service:
              backend:
                priority: 10
                weight: 100
                members:
                  b1 127.0.0.1:${b1} weight 1
                  b2 127.0.0.1:${b2} weight 1
            next-hop-strategy:
              priority-then-weight
            next-hop:
              list.my-service
`;
}

function haproxyConfig(port: number, b1: number, b2: number): string {
  return `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance random
  server b1 127.0.0.1:${b1} weight 1
  server b2 127.0.0.1:${b2} weight 1
`;
}

async function load(url: string, rate?: number, connections = CONNECTIONS): Promise<Run> {
  const opts: Record<string, unknown> = { url, connections, duration: SECONDS, headers: { host: 'example.com' } };
  if (rate) opts.overallRate = rate;
  await once({ ...opts, duration: 1 }); // warm-up: connections, JIT
  return once(opts);
}

function fmt(n: number, d = 2): string {
  return n.toFixed(d);
}

async function main(): Promise<void> {
  const haveHaproxy = spawnSync('sh', ['-c', 'command -v haproxy'], { stdio: 'ignore' }).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-l7-'));
  const children: ChildProcess[] = [];
  try {
    const [b1, b2, sp, hp] = [await freePort(), await freePort(), await freePort(), await freePort()];
    children.push(await start(process.execPath, [join(ROOT, 'dist', 'bench', 'l7', 'backend.js'), String(b1), String(b2)], /ready/));
    writeFileSync(join(dir, 'bench.delivery'), delivery(b1, b2));
    children.push(await start(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'proxy', dir, '--datacenter', 'datacenter-1', '--cluster', 'cluster-1', '--listen', `127.0.0.1:${sp}`, '--log-level', 'warn'], /listening/));
    const targets: [string, string][] = [
      ['direct', `http://127.0.0.1:${b1}/api/items/1`],
      ['service pick', `http://127.0.0.1:${sp}/api/items/1`],
    ];
    if (haveHaproxy) {
      writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(hp, b1, b2));
      children.push(await start('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], undefined));
      targets.push(['haproxy', `http://127.0.0.1:${hp}/api/items/1`]);
    } else process.stdout.write('haproxy not installed (apt-get install haproxy): HAProxy column skipped\n');

    process.stdout.write(`L7 service pick benchmark: ${CONNECTIONS} connections, ${SECONDS} s per run, autocannon ${require('autocannon/package.json').version}, node ${process.version}\n\n`);
    const max = new Map<string, Run>();
    for (const [name, url] of targets) {
      const r = await load(url);
      max.set(name, r);
      process.stdout.write(`max load   ${name.padEnd(13)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  non-2xx ${r.non2xx} errors ${r.errors}\n`);
    }
    const half = Math.max(1, Math.floor(max.get('service pick')!.rps / 2));
    process.stdout.write(`\nhalf load: ${half} req/s (half of the service pick's maximum)\n`);
    const at = new Map<string, Run>();
    for (const [name, url] of targets) {
      const r = await load(url, half);
      at.set(name, r);
      process.stdout.write(`half load  ${name.padEnd(13)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  non-2xx ${r.non2xx} errors ${r.errors}\n`);
    }
    // One connection, one request at a time: the latency a request adds without any queueing.
    process.stdout.write('\none connection, closed loop (no queueing)\n');
    const serial = new Map<string, Run>();
    for (const [name, url] of targets) {
      const r = await load(url, undefined, 1);
      serial.set(name, r);
      process.stdout.write(`serial     ${name.padEnd(13)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  non-2xx ${r.non2xx} errors ${r.errors}\n`);
    }
    const d = at.get('direct')!.p99;
    const spAdded = at.get('service pick')!.p99 - d;
    process.stdout.write('\nratios\n');
    process.stdout.write(`  max req/s   service pick / direct  = ${fmt(max.get('service pick')!.rps / max.get('direct')!.rps)}\n`);
    if (haveHaproxy) process.stdout.write(`  max req/s   service pick / haproxy = ${fmt(max.get('service pick')!.rps / max.get('haproxy')!.rps)}\n`);
    process.stdout.write(`  added p99 at half load: service pick ${fmt(spAdded, 3)} ms${haveHaproxy ? `, haproxy ${fmt(at.get('haproxy')!.p99 - d, 3)} ms` : ''} (aim: service pick < 1 ms)\n`);
    const sd = serial.get('direct')!;
    const ss = serial.get('service pick')!;
    process.stdout.write(`  added latency, one connection: service pick p50 ${fmt(ss.p50 - sd.p50, 3)} ms, p99 ${fmt(ss.p99 - sd.p99, 3)} ms${haveHaproxy ? `; haproxy p50 ${fmt(serial.get('haproxy')!.p50 - sd.p50, 3)} ms, p99 ${fmt(serial.get('haproxy')!.p99 - sd.p99, 3)} ms` : ''}\n`);
    if (haveHaproxy) {
      const hAdded = at.get('haproxy')!.p99 - d;
      process.stdout.write(`  added p99   service pick / haproxy = ${hAdded > 0 ? fmt(spAdded / hAdded) : 'n/a (haproxy adds ~0)'}\n`);
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:l7 failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
