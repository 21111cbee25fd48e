/**
 * `npm run bench:l7`: requests/s and p99 added latency of the service pick (`anypick proxy
 * --cluster`) versus a direct connection and versus HAProxy (Debian `haproxy`) with equivalent
 * weights, in one run. The service pick runs on its Node engine and, when HAProxy is installed,
 * on `--engine haproxy`; with openssl, the service pick and HAProxy also run terminating TLS (a
 * certificate generated for the run). Method and placement: bench/l7/README.md.
 *
 * Placement (the same for every target): the load generator and the backend run on CPU 0
 * (`taskset -c 0`), the target proxy on CPU 1 (`taskset -c 1`; HAProxy with one thread; the
 * haproxy engine's HAProxy inherits the CPU of its anypick process). Loads, each a process of
 * its own:
 * - max load: h2load (nghttp2), closed loop, BENCH_CONNECTIONS HTTP/1.1 keep-alive connections;
 * - half load: bench/l7/paced.js, open loop at half the service pick's maximum, requests evenly
 *   spaced on one schedule, latency counted from the send (from when it was due if it had to
 *   wait for a connection);
 * - serial: h2load, one connection, one request at a time.
 * Every phase runs in BENCH_ROUNDS interleaved rounds (median kept); every process at nice -10.
 * The added p99 is a target's p99 minus the direct connection's p99 at the same rate. Each
 * target's CPU time per request (/proc/PID/stat around the max-load runs; HAProxy's too for the
 * haproxy engine) depends far less than requests/s on what else runs. Only loopback is used.
 * Figures are printed, never asserted: the machine is shared and noisy.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds } from '../../test/support/proc';
import { freePort } from '../../test/support/ports';

/** A run: requests/s and latency percentiles (ms, µs precision). */
interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Requests completed in the whole run (warm-up included), for CPU per request. */
  done?: number;
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

/**
 * Niceness of every process of the bench (targets, backend, load generators; default -10, which
 * needs root — without it nice warns and runs them at 0): on a shared machine the scheduler then
 * lets other work preempt them less often, the same for every target.
 */
const NICE = Number(process.env.BENCH_NICE ?? -10);

/** Starts `cmd` on CPU `cpu` (nice and taskset exec it: the pid is the command's); resolves once `ready` matches its output. */
function start(cpu: number, cmd: string, args: string[], ready: RegExp | undefined): Promise<ChildProcess> {
  const p = spawn('nice', ['-n', String(NICE), 'taskset', '-c', String(cpu), cmd, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Runs a load generator to its end on CPU 0; resolves with its standard output. */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('nice', ['-n', String(NICE), 'taskset', '-c', '0', cmd, ...args], { cwd: ROOT, maxBuffer: 1 << 26, encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} failed: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const HOST = 'example.com';

/**
 * Closed loop with h2load: `connections` keep-alive HTTP/1.1 connections, each sending its next
 * request when the previous answer has arrived, for `seconds` s. Latencies come from h2load's
 * per-request log (µs).
 */
async function closedLoop(url: string, connections: number, seconds: number, log: string): Promise<Run> {
  rmSync(log, { force: true }); // h2load appends to its log file
  const out = await run('h2load', ['--h1', '-t', '1', '-c', String(connections), '-D', String(seconds), '-H', `:authority: ${HOST}`, `--log-file=${log}`, url]);
  const finished = /finished in ([\d.]+)(m?s)/.exec(out);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (!finished || !req || !codes) throw new Error(`unexpected h2load output:\n${out}`);
  const secs = Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1);
  const times = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split('\t')[2]) / 1000);
  const sorted = Float64Array.from(times).sort();
  return { rps: Number(req[4]) / secs, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), non2xx: Number(codes[2]) + Number(codes[3]) + Number(codes[4]), errors: Number(req[5]) + Number(req[6]) + Number(req[7]), done: Number(req[3]) };
}

/** Open loop at `rate` requests/s, evenly paced (bench/l7/paced.ts), after a 1 s warm-up. */
async function openLoop(url: string, rate: number, connections: number, seconds: number): Promise<Run> {
  const out = await run(process.execPath, [join(__dirname, 'paced.js'), url, String(rate), String(connections), String(seconds), '1', HOST]);
  return JSON.parse(out) as Run;
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
  const missing = ['h2load', 'taskset'].filter((t) => !have(t));
  if (missing.length) throw new Error(`missing ${missing.join(', ')} (Debian packages nghttp2-client, util-linux)`);
  const dir = mkdtempSync(join(tmpdir(), 'anypick-bench-l7-'));
  const children: ChildProcess[] = [];
  try {
    const [b1, b2, sp, hp, ep, spTls, hpTls] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const backend = await start(0, process.execPath, [join(ROOT, 'dist', 'bench', 'l7', 'backend.js'), String(b1), String(b2)], /ready/);
    children.push(backend);
    writeFileSync(join(dir, 'bench.delivery'), delivery(b1, b2));
    const proxy = (port: number, extra: string[] = []) =>
      start(1, process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'proxy', dir, '--datacenter', 'datacenter-1', '--cluster', 'cluster-1', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...extra], /listening/);
    /** [name, url, the process whose CPU time is the target's]: the first three are the original targets. */
    const targets: [string, string, ChildProcess][] = [['direct', `http://127.0.0.1:${b1}/api/items/1`, backend]];
    const add = (name: string, url: string, c: ChildProcess): void => {
      children.push(c);
      targets.push([name, url, c]);
    };
    add('service pick', `http://127.0.0.1:${sp}/api/items/1`, await proxy(sp));
    // The platform's floor: node:http + undici with nothing of the service pick (bench/l7/node-floor.ts).
    const nf = await freePort();
    add('node floor', `http://127.0.0.1:${nf}/api/items/1`, await start(1, process.execPath, [join(ROOT, 'dist', 'bench', 'l7', 'node-floor.js'), String(nf), String(b1), String(b2)], /listening/));
    if (haveHaproxy) {
      writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(hp, b1, b2));
      add('haproxy', `http://127.0.0.1:${hp}/api/items/1`, await start(1, 'haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], undefined));
      add('sp haproxy-eng', `http://127.0.0.1:${ep}/api/items/1`, await proxy(ep, ['--engine', 'haproxy']));
    } else process.stdout.write('haproxy not installed (apt-get install haproxy): HAProxy column and --engine haproxy skipped\n');
    if (haveOpenssl) {
      // A certificate for this run only (never stored in the repository).
      const crt = join(dir, 'bench.crt');
      const key = join(dir, 'bench.key');
      spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=example.com', '-addext', 'subjectAltName=DNS:example.com', '-keyout', key, '-out', crt], { stdio: 'ignore' });
      add('sp tls', `https://127.0.0.1:${spTls}/api/items/1`, await proxy(spTls, ['--tls-cert', crt, '--tls-key', key]));
      if (haveHaproxy) {
        const pem = join(dir, 'bench.pem');
        writeFileSync(pem, Buffer.concat([readFileSync(crt), readFileSync(key)]), { mode: 0o600 });
        writeFileSync(join(dir, 'haproxy-tls.cfg'), haproxyConfig(hpTls, b1, b2, pem));
        add('haproxy tls', `https://127.0.0.1:${hpTls}/api/items/1`, await start(1, 'haproxy', ['-f', join(dir, 'haproxy-tls.cfg'), '-db'], undefined));
      }
    } else process.stdout.write('openssl not installed: TLS targets skipped\n');

    const load1 = loadavg()[0];
    process.stderr.write("bench: warm-up…\n");
    const h2loadVersion = /nghttp2\/([\d.]+)/.exec(spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
    process.stdout.write(`L7 service pick benchmark: ${CONNECTIONS} connections, ${SECONDS} s per run (full load: median of ${ROUNDS} interleaved rounds), h2load ${h2loadVersion} (closed loop) and bench/l7/paced.js (open loop) with the backend on CPU 0, each target on CPU 1, all at nice ${NICE}, node ${process.version}, load average ${load1.toFixed(2)} at start\n\n`);
    const line = (phase: string, name: string, r: Run, extra = ''): void =>
      void process.stdout.write(`${phase.padEnd(10)} ${name.padEnd(15)} ${fmt(r.rps, 0).padStart(7)} req/s  p50 ${fmt(r.p50, 3)} ms  p99 ${fmt(r.p99, 3)} ms  non-2xx ${r.non2xx} errors ${r.errors}${extra}\n`);
    const log = join(dir, 'h2load.log');
    const rounds = new Map<string, Run[]>(targets.map(([n]) => [n, []]));
    /** CPU seconds of each target over its max-load runs, and the requests they completed. */
    const cpu = new Map<string, { s: number; n: number }>(targets.map(([n]) => [n, { s: 0, n: 0 }]));
    const perRound = Math.max(1, Math.round(SECONDS / ROUNDS));
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, url, proc] of targets) {
        process.stderr.write(`bench: max load ${name} (round ${i + 1})\n`);
        if (i === 0) await closedLoop(url, CONNECTIONS, 1, log); // warm-up: connections, JIT
        const c0 = cpuSeconds(proc.pid);
        const r = await closedLoop(url, CONNECTIONS, perRound, log);
        const c1 = cpuSeconds(proc.pid);
        const c = cpu.get(name)!;
        c.s += c1.user + c1.sys - c0.user - c0.sys;
        c.n += r.done ?? 0;
        rounds.get(name)!.push(r);
      }
    }
    const max = new Map<string, Run>();
    const usPerRequest = (n: string): number => (cpu.get(n)!.s / cpu.get(n)!.n) * 1e6;
    for (const [name] of targets) {
      const r = median(rounds.get(name)!);
      max.set(name, r);
      line('max load', name, r, `  CPU ${fmt(usPerRequest(name), 1)} µs/req`);
      process.stdout.write(`           ${' '.repeat(15)} rounds: ${rounds.get(name)!.map((x) => fmt(x.rps, 0)).join(', ')} req/s\n`);
    }
    const half = Math.max(1, Math.floor(max.get('service pick')!.rps / 2));
    process.stdout.write(`\nhalf load: ${half} req/s (half of the service pick's maximum), open loop, evenly paced; each phase below: the round with the median p99\n`);
    /**
     * Latency phases run in ROUNDS interleaved rounds too, keeping each target's round with the
     * median p99: a burst of someone else's work then spoils one round of every target rather
     * than one target's whole figure.
     */
    const latency = async (phase: string, each: (url: string) => Promise<Run>): Promise<Map<string, Run>> => {
      const got = new Map<string, Run[]>(targets.map(([n]) => [n, []]));
      for (let i = 0; i < ROUNDS; i++) {
        for (const [name, url] of targets) {
          process.stderr.write(`bench: ${phase} ${name} (round ${i + 1})\n`);
          got.get(name)!.push(await each(url));
        }
      }
      const out = new Map<string, Run>();
      for (const [name] of targets) {
        const r = [...got.get(name)!].sort((x, y) => x.p99 - y.p99)[Math.floor(ROUNDS / 2)];
        out.set(name, r);
        line(phase, name, r, ROUNDS > 1 ? `  rounds' p99: ${got.get(name)!.map((x) => fmt(x.p99, 3)).join(', ')} ms` : '');
      }
      return out;
    };
    const at = await latency('half load', (url) => openLoop(url, half, CONNECTIONS, perRound));
    // One connection, one request at a time: the latency a request adds without any queueing.
    process.stdout.write('\none connection, closed loop (no queueing)\n');
    const serial = await latency('serial', (url) => closedLoop(url, 1, perRound, log));
    const d = at.get('direct')!.p99;
    const added = (n: string): string => fmt(at.get(n)!.p99 - d, 3);
    const ratio = (a: string, b: string): string => fmt(max.get(a)!.rps / max.get(b)!.rps);
    const has = (n: string): boolean => max.has(n);
    process.stdout.write(`\nratios (load average ${loadavg()[0].toFixed(2)} at the end; ${load1.toFixed(2)} at the start)\n`);
    process.stdout.write(`  max req/s   service pick / direct  = ${ratio('service pick', 'direct')}\n`);
    process.stdout.write(`  CPU per request (µs, /proc/PID/stat over the max-load runs): ${targets.map(([n]) => `${n} ${fmt(usPerRequest(n), 1)}`).join(', ')}\n`);
    if (has('haproxy')) process.stdout.write(`  max req/s   service pick / haproxy = ${ratio('service pick', 'haproxy')}\n`);
    if (has('sp haproxy-eng')) process.stdout.write(`  max req/s   service pick (--engine haproxy) / haproxy = ${ratio('sp haproxy-eng', 'haproxy')}\n`);
    if (has('sp tls') && has('haproxy tls')) process.stdout.write(`  max req/s   TLS: service pick / haproxy = ${ratio('sp tls', 'haproxy tls')}\n`);
    if (has('haproxy')) {
      // Requests/s per CPU second, relative to HAProxy: the max req/s ratio a quiet machine would show when the target's CPU is the limit.
      const per = (n: string): string => fmt(usPerRequest('haproxy') / usPerRequest(n));
      process.stdout.write(`  per CPU     haproxy CPU/req ÷ target CPU/req: service pick ${per('service pick')}, service pick (--engine haproxy) ${per('sp haproxy-eng')}, node floor ${per('node floor')}${has('sp tls') && has('haproxy tls') ? `, TLS service pick ${fmt(usPerRequest('haproxy tls') / usPerRequest('sp tls'))}` : ''}\n`);
    }
    if (has('haproxy')) process.stdout.write(`  max req/s   node floor / haproxy = ${ratio('node floor', 'haproxy')} (node:http + undici and nothing else: what a Node engine can reach at best)\n`);
    const others = [['sp haproxy-eng', 'service pick (--engine haproxy)'], ['haproxy', 'haproxy'], ['sp tls', 'TLS service pick'], ['haproxy tls', 'TLS haproxy'], ['node floor', 'node floor']].filter(([n]) => has(n));
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
