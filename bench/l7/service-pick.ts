/**
 * `npm run bench:l7`: requests/s and p99 added latency of the service pick (`anypick proxy
 * --cluster`) versus a direct connection and versus HAProxy (Debian `haproxy`) with equivalent
 * weights, all driven by the same load generator (autocannon) in one run. The service pick runs
 * on its Node engine and, when HAProxy is installed, on `--engine haproxy`; with openssl, the
 * service pick and HAProxy also run terminating TLS (a certificate generated for the run).
 *
 * Each target first runs at full load (BENCH_CONNECTIONS connections for BENCH_SECONDS s); then
 * every target runs at half of the service pick's measured maximum rate, and the added p99 is
 * that target's p99 minus the direct connection's p99 at the same rate. Only loopback is used.
 * Figures are printed, never asserted: the machine is shared and noisy.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
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
/**
 * The full-load phase runs in ROUNDS rounds of SECONDS / ROUNDS s, every target once per round,
 * and keeps each target's median round: on a shared machine a burst of someone else's load then
 * hits one round of every target instead of the whole run of one target.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

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

function haproxyConfig(port: number, b1: number, b2: number, pem?: string): string {
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
  bind 127.0.0.1:${port}${pem ? ` ssl crt ${pem} alpn h2,http/1.1` : ''}
  default_backend be
backend be
  balance random
  server b1 127.0.0.1:${b1} weight 1
  server b2 127.0.0.1:${b2} weight 1
`;
}

async function load(url: string, rate?: number, connections = CONNECTIONS, seconds = SECONDS, warm = true): Promise<Run> {
  const opts: Record<string, unknown> = { url, connections, duration: seconds, headers: { host: 'example.com' } };
  if (rate) opts.overallRate = rate;
  if (warm) await once({ ...opts, duration: 1 }); // warm-up: connections, JIT
  return once(opts);
}

function median(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
}

function fmt(n: number, d = 2): string {
  return n.toFixed(d);
}

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const haveHaproxy = have('haproxy');
  const haveOpenssl = have('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-l7-'));
  const children: ChildProcess[] = [];
  try {
    const [b1, b2, sp, hp, ep, spTls, hpTls] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    children.push(await start(process.execPath, [join(ROOT, 'dist', 'bench', 'l7', 'backend.js'), String(b1), String(b2)], /ready/));
    writeFileSync(join(dir, 'bench.delivery'), delivery(b1, b2));
    const proxy = (port: number, extra: string[] = []) =>
      start(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'proxy', dir, '--datacenter', 'datacenter-1', '--cluster', 'cluster-1', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...extra], /listening/);
    children.push(await proxy(sp));
    /** [name, url, tls]: the first three are the original targets. */
    const targets: [string, string][] = [
      ['direct', `http://127.0.0.1:${b1}/api/items/1`],
      ['service pick', `http://127.0.0.1:${sp}/api/items/1`],
    ];
    if (haveHaproxy) {
      writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(hp, b1, b2));
      children.push(await start('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], undefined));
      targets.push(['haproxy', `http://127.0.0.1:${hp}/api/items/1`]);
      children.push(await proxy(ep, ['--engine', 'haproxy']));
      targets.push(['sp haproxy-eng', `http://127.0.0.1:${ep}/api/items/1`]);
    } else process.stdout.write('haproxy not installed (apt-get install haproxy): HAProxy column and --engine haproxy skipped\n');
    if (haveOpenssl) {
      // A certificate for this run only (never stored in the repository).
      const crt = join(dir, 'bench.crt');
      const key = join(dir, 'bench.key');
      spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=example.com', '-addext', 'subjectAltName=DNS:example.com', '-keyout', key, '-out', crt], { stdio: 'ignore' });
      children.push(await proxy(spTls, ['--tls-cert', crt, '--tls-key', key]));
      targets.push(['sp tls', `https://127.0.0.1:${spTls}/api/items/1`]);
      if (haveHaproxy) {
        const pem = join(dir, 'bench.pem');
        writeFileSync(pem, Buffer.concat([readFileSync(crt), readFileSync(key)]), { mode: 0o600 });
        writeFileSync(join(dir, 'haproxy-tls.cfg'), haproxyConfig(hpTls, b1, b2, pem));
        children.push(await start('haproxy', ['-f', join(dir, 'haproxy-tls.cfg'), '-db'], undefined));
        targets.push(['haproxy tls', `https://127.0.0.1:${hpTls}/api/items/1`]);
      }
    } else process.stdout.write('openssl not installed: TLS targets skipped\n');

    const load1 = loadavg()[0];
    process.stdout.write(`L7 service pick benchmark: ${CONNECTIONS} connections, ${SECONDS} s per run (full load: median of ${ROUNDS} interleaved rounds), autocannon ${require('autocannon/package.json').version}, node ${process.version}, load average ${load1.toFixed(2)} at start\n\n`);
    const line = (phase: string, name: string, r: Run): void =>
      void process.stdout.write(`${phase.padEnd(10)} ${name.padEnd(15)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  non-2xx ${r.non2xx} errors ${r.errors}\n`);
    const rounds = new Map<string, Run[]>(targets.map(([n]) => [n, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, url] of targets) rounds.get(name)!.push(await load(url, undefined, CONNECTIONS, Math.max(1, Math.round(SECONDS / ROUNDS)), i === 0));
    }
    const max = new Map<string, Run>();
    for (const [name] of targets) {
      const r = median(rounds.get(name)!);
      max.set(name, r);
      line('max load', name, r);
      process.stdout.write(`           ${' '.repeat(15)} rounds: ${rounds.get(name)!.map((x) => fmt(x.rps, 0)).join(', ')} req/s\n`);
    }
    const half = Math.max(1, Math.floor(max.get('service pick')!.rps / 2));
    process.stdout.write(`\nhalf load: ${half} req/s (half of the service pick's maximum)\n`);
    const at = new Map<string, Run>();
    for (const [name, url] of targets) {
      const r = await load(url, half);
      at.set(name, r);
      line('half load', name, r);
    }
    // One connection, one request at a time: the latency a request adds without any queueing.
    process.stdout.write('\none connection, closed loop (no queueing)\n');
    const serial = new Map<string, Run>();
    for (const [name, url] of targets) {
      const r = await load(url, undefined, 1);
      serial.set(name, r);
      line('serial', name, r);
    }
    const d = at.get('direct')!.p99;
    const added = (n: string): string => fmt(at.get(n)!.p99 - d, 3);
    const ratio = (a: string, b: string): string => fmt(max.get(a)!.rps / max.get(b)!.rps);
    const has = (n: string): boolean => max.has(n);
    process.stdout.write(`\nratios (load average ${loadavg()[0].toFixed(2)} at the end; ${load1.toFixed(2)} at the start)\n`);
    process.stdout.write(`  max req/s   service pick / direct  = ${ratio('service pick', 'direct')}\n`);
    if (has('haproxy')) process.stdout.write(`  max req/s   service pick / haproxy = ${ratio('service pick', 'haproxy')}\n`);
    if (has('sp haproxy-eng')) process.stdout.write(`  max req/s   service pick (--engine haproxy) / haproxy = ${ratio('sp haproxy-eng', 'haproxy')}\n`);
    if (has('sp tls') && has('haproxy tls')) process.stdout.write(`  max req/s   TLS: service pick / haproxy = ${ratio('sp tls', 'haproxy tls')}\n`);
    const others = [['sp haproxy-eng', 'service pick (--engine haproxy)'], ['haproxy', 'haproxy'], ['sp tls', 'TLS service pick'], ['haproxy tls', 'TLS haproxy']].filter(([n]) => has(n));
    process.stdout.write(`  added p99 at half load: service pick ${added('service pick')} ms${others.map(([n, label]) => `, ${label} ${added(n)} ms`).join('')} (aim: service pick < 1 ms)\n`);
    const sd = serial.get('direct')!;
    const ss = serial.get('service pick')!;
    const serialAdded = (n: string): string => `p50 ${fmt(serial.get(n)!.p50 - sd.p50, 3)} ms, p99 ${fmt(serial.get(n)!.p99 - sd.p99, 3)} ms`;
    process.stdout.write(`  added latency, one connection: service pick p50 ${fmt(ss.p50 - sd.p50, 3)} ms, p99 ${fmt(ss.p99 - sd.p99, 3)} ms${others.map(([n, label]) => `; ${label} ${serialAdded(n)}`).join('')}\n`);
    if (has('haproxy')) {
      const hAdded = at.get('haproxy')!.p99 - d;
      process.stdout.write(`  added p99   service pick / haproxy = ${hAdded > 0 ? fmt((at.get('service pick')!.p99 - d) / hAdded) : 'n/a (haproxy adds ~0)'}\n`);
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
